"""Cargo.lock: workspace crates are not dependencies; direct from the members' lists."""

from __future__ import annotations

from pathlib import Path

from tests.inventory.extractor_support import errors, rows, scan, write

from deeptracy.inventory.extractors.rust.cargo import CargoLockExtractor

DATA = Path(__file__).parent / "data"


def test_workspace_lockfile() -> None:
    inv = scan(DATA, CargoLockExtractor())
    ws = [("workspace/Cargo.lock", None)]
    assert rows(inv, "workspace/Cargo.lock") == [
        # from another registry: kept, with a note
        (
            "internal-metrics",
            "1.2.0",
            None,
            True,
            None,
            ws,
            "from the registry https://crates.acme.internal/index",
        ),
        ("libc", "0.2.150", None, False, None, ws, None),
        # two versions: only the one a member names ("rand 0.8.5") is direct
        ("rand", "0.7.3", None, False, None, ws, None),
        ("rand", "0.8.5", None, True, None, ws, None),
        (
            "regex-fork",
            None,
            None,
            True,
            None,
            ws,
            "git https://github.com/acme/regex at 0d0c2b1f9a8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c "
            "(crate version 1.10.2)",
        ),
        ("serde", "1.0.193", None, True, None, ws, None),
        ("tokio", "1.34.0", None, True, None, ws, None),
    ]


def test_format_v1_root_and_v4_sparse_index() -> None:
    inv = scan(DATA, CargoLockExtractor())
    assert rows(inv, "v1/Cargo.lock") == [
        ("bitflags", "1.3.2", None, True, None, [("v1/Cargo.lock", None)], None),
        ("cfg-if", "1.0.0", None, False, None, [("v1/Cargo.lock", None)], None),
    ]
    # no workspace crate in the file: direct or not is unknown
    assert rows(inv, "v4/Cargo.lock") == [
        ("anyhow", "1.0.86", None, None, None, [("v4/Cargo.lock", None)], None)
    ]
    assert [p.purl for p in inv.packages if p.name == "anyhow"] == ["pkg:cargo/anyhow@1.0.86"]


def test_broken_cargo_locks(tmp_path: Path) -> None:
    write(tmp_path, "toml/Cargo.lock", 'version = 3\n[[package]]\nname = "a\n')
    write(tmp_path, "shape/Cargo.lock", 'package = "none"\n')
    write(tmp_path, "deep/Cargo.lock", "x = " + "[" * 50_000 + "]" * 50_000)
    write(
        tmp_path,
        "entries/Cargo.lock",
        "package = [1]\n[[x]]\n",
    )
    write(
        tmp_path,
        "partial/Cargo.lock",
        '[[package]]\nname = "ok"\nversion = "1.0.0"\nsource = "sparse+https://index.crates.io/"\n'
        '[[package]]\nname = "noversion"\nsource = "sparse+https://index.crates.io/"\n',
    )
    inv = scan(tmp_path, CargoLockExtractor())
    assert [(p.source, p.name) for p in inv.packages] == [("partial/Cargo.lock", "ok")]
    found = errors(inv)
    assert found[:4] == [
        ("deep/Cargo.lock", None, "rust/cargo-lock: TOML nested too deeply"),
        ("entries/Cargo.lock", None, "package #1 is a number, not a table"),
        ("partial/Cargo.lock", None, "package #2 has no name or version"),
        ("shape/Cargo.lock", None, "rust/cargo-lock: 'package' is a string, not an array"),
    ]
    # tomllib's wording varies between Python releases; where it points does not
    path, line, message = found[4]
    assert (path, line) == ("toml/Cargo.lock", None)
    assert message.startswith("rust/cargo-lock: invalid TOML: ")
    assert message.endswith("(at line 3, column 10)")
