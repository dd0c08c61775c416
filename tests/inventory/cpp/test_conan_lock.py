"""conan.lock formats 0.5 and 0.4."""

from __future__ import annotations

from pathlib import Path

from tests.inventory.extractor_support import errors, rows, scan, write

from deeptracy.inventory.extractors.cpp.conan import ConanLockExtractor

DATA = Path(__file__).parent / "data"


def test_conan_2_lockfile() -> None:
    inv = scan(DATA, ConanLockExtractor())
    src = [("v05/conan.lock", None)]
    assert rows(inv, "v05/conan.lock") == [
        (
            "acme-core",
            "2.3.0",
            None,
            None,
            None,
            src,
            "user/channel acme/stable: not a ConanCenter reference",
        ),
        ("cmake", "3.27.7", None, None, "build", src, None),
        ("fmt", "10.1.1", None, None, None, src, None),
        ("openssl", "3.1.4", None, None, None, src, None),
        ("zlib", "1.2.13", None, None, None, src, None),
    ]
    assert [p.purl for p in inv.packages if p.name == "zlib"] == ["pkg:conan/zlib@1.2.13"]


def test_conan_1_graph_lock() -> None:
    inv = scan(DATA, ConanLockExtractor())
    src = [("v04/conan.lock", None)]
    assert rows(inv, "v04/conan.lock") == [
        ("boost", "1.83.0", None, True, None, src, None),
        ("bzip2", "1.0.8", None, False, None, src, None),
        # "@_/_" is Conan 1's spelling of no user/channel
        ("libcurl", "8.4.0", None, True, None, src, None),
        ("ninja", "1.11.1", None, True, "build", src, None),
    ]
    assert errors(inv) == [
        ("v05/conan.lock", None, "requires[4]: not a Conan reference: 'not a reference'")
    ]


def test_malformed_conan_locks(tmp_path: Path) -> None:
    write(tmp_path, "a/conan.lock", '{"version": "0.5"}')
    write(tmp_path, "b/conan.lock", '{"graph_lock": {"nodes": []}}')
    write(tmp_path, "c/conan.lock", '{"graph_lock": {"nodes": {"0": {}, "1": 7}}}')
    inv = scan(tmp_path, ConanLockExtractor())
    assert inv.packages == ()
    assert errors(inv) == [
        (
            "a/conan.lock",
            None,
            "cpp/conan-lock: neither 'requires' (format 0.5) nor 'graph_lock' (format 0.4)",
        ),
        ("b/conan.lock", None, "cpp/conan-lock: 'graph_lock.nodes' is an array, not an object"),
        ("c/conan.lock", None, "node '1' is a number, not an object"),
    ]
