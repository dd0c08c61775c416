"""The walker's contract, with toy extractors (the real ones have their own tests)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

from deeptracy.inventory.interface import ExtractError, Extractor, FileKind, ScanFile
from deeptracy.inventory.model import Location, Package
from deeptracy.inventory.walker import WalkOptions, scan_tree


class PinsLock(Extractor):
    """A toy lockfile: JSON object name -> version."""

    name = "test/pins-lock"
    ecosystem = "PyPI"
    filenames = frozenset({"pins.lock"})

    def extract(self, file: ScanFile) -> Iterable[Package]:
        data = file.json()
        if not isinstance(data, dict):
            raise ExtractError("top level is not an object")
        for name, version in data.items():
            yield Package("PyPI", name, version, locations=(Location(file.path),))


class PinsManifest(Extractor):
    """A toy manifest: one 'name spec' per line, superseded by pins.lock."""

    name = "test/pins-manifest"
    ecosystem = "PyPI"
    kind = FileKind.MANIFEST
    patterns = ("pins*.txt",)
    superseded_by = frozenset({"pins.lock"})

    def extract(self, file: ScanFile) -> Iterable[Package]:
        for number, line in enumerate(file.text().splitlines(), 1):
            if line.startswith("include "):
                included = file.read(line.split(" ", 1)[1])
                yield from self.extract(ScanFile(line.split(" ", 1)[1], included))
                continue
            if line == "boom":
                raise RuntimeError("extractor bug")
            if line.startswith("?"):
                file.warn("unreadable requirement", line=number)
                continue
            name, spec = line.split(" ", 1)
            yield Package("PyPI", name, declared=spec, locations=(Location(file.path, number),))


EXTRACTORS = [PinsLock(), PinsManifest()]


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_lockfile_supersedes_manifest_in_its_directory_only(tmp_path: Path) -> None:
    write(tmp_path, "pins.lock", json.dumps({"django": "3.2.0"}))
    write(tmp_path, "pins.txt", "django >=3\n")
    write(tmp_path, "svc/pins.txt", "flask >=2\n")
    inv = scan_tree(tmp_path, extractors=EXTRACTORS)
    assert [(p.name, p.version, p.declared, p.source) for p in inv.packages] == [
        ("django", "3.2.0", None, "pins.lock"),
        ("flask", None, ">=2", "svc/pins.txt"),
    ]
    assert inv.errors == ()


def test_manifest_is_used_when_its_lockfile_is_broken(tmp_path: Path) -> None:
    write(tmp_path, "pins.lock", "{not json")
    write(tmp_path, "pins.txt", "django >=3\n")
    inv = scan_tree(tmp_path, extractors=EXTRACTORS)
    assert [(p.name, p.declared) for p in inv.packages] == [("django", ">=3")]
    assert [(e.path, e.message) for e in inv.errors] == [
        (
            "pins.lock",
            "test/pins-lock: invalid JSON at line 1 column 2: "
            "Expecting property name enclosed in double quotes",
        )
    ]


def test_errors_are_confined_to_their_file(tmp_path: Path) -> None:
    write(tmp_path, "a/pins.txt", "boom\n")
    write(tmp_path, "b/pins.txt", "?x\nrequests >=2\n")
    write(tmp_path, "c/pins.lock", "[1]")
    inv = scan_tree(tmp_path, extractors=EXTRACTORS)
    assert [(p.name, p.source) for p in inv.packages] == [("requests", "b/pins.txt")]
    messages = {(e.path, e.line): e.message for e in inv.errors}
    assert (
        messages[("a/pins.txt", None)]
        == "test/pins-manifest: internal error: RuntimeError: extractor bug"
    )
    assert messages[("b/pins.txt", 1)] == "unreadable requirement"
    assert messages[("c/pins.lock", None)] == "test/pins-lock: top level is not an object"


def test_default_and_project_ignores(tmp_path: Path) -> None:
    write(tmp_path, "node_modules/x/pins.lock", json.dumps({"a": "1"}))
    write(tmp_path, ".venv/pins.lock", json.dumps({"b": "1"}))
    write(tmp_path, "docs/examples/pins.lock", json.dumps({"c": "1"}))
    write(tmp_path, "fixtures/pins.lock", json.dumps({"d": "1"}))
    write(tmp_path, "deep/fixtures/pins.lock", json.dumps({"e": "1"}))
    write(tmp_path, "app/pins.lock", json.dumps({"f": "1"}))
    options = WalkOptions(ignore_paths=("docs/**", "fixtures"))
    inv = scan_tree(tmp_path, extractors=EXTRACTORS, options=options)
    assert [p.name for p in inv.packages] == ["f"]


def test_symlinks_never_lead_outside_the_tree(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    write(outside, "pins.lock", json.dumps({"secret": "1"}))
    root = tmp_path / "repo"
    write(root, "real/pins.lock", json.dumps({"inside": "1"}))
    (root / "linked").mkdir()
    os.symlink(outside / "pins.lock", root / "linked" / "pins.lock")
    os.symlink(outside, root / "dirlink")
    os.symlink(root / "real" / "pins.lock", root / "pins.lock")
    inv = scan_tree(root, extractors=EXTRACTORS)
    assert sorted((p.name, p.source) for p in inv.packages) == [
        ("inside", "pins.lock"),
        ("inside", "real/pins.lock"),
    ]
    assert [(e.path, e.message) for e in inv.errors] == [
        ("linked/pins.lock", "'linked/pins.lock' leads outside the scanned tree; not read")
    ]


def test_includes_are_confined_to_the_tree(tmp_path: Path) -> None:
    write(tmp_path, "secret.txt", "x 1\n")
    root = tmp_path / "repo"
    write(root, "pins.txt", "include ../secret.txt\n")
    inv = scan_tree(root, extractors=EXTRACTORS)
    assert inv.packages == ()
    assert (
        inv.errors[0].message
        == "test/pins-manifest: '../secret.txt' leads outside the scanned tree; not read"
    )


def test_oversized_files_are_not_read(tmp_path: Path) -> None:
    write(tmp_path, "pins.lock", json.dumps({"big": "1" * 200}))
    inv = scan_tree(tmp_path, extractors=EXTRACTORS, options=WalkOptions(max_file_bytes=100))
    assert inv.packages == ()
    assert "over the limit of 100 bytes" in inv.errors[0].message


def test_fingerprint_ignores_order_and_lines(tmp_path: Path) -> None:
    write(tmp_path, "pins.lock", json.dumps({"a": "1", "b": "2"}))
    first = scan_tree(tmp_path, extractors=EXTRACTORS).fingerprint()
    write(tmp_path, "pins.lock", json.dumps({"b": "2", "a": "1"}, indent=4))
    assert scan_tree(tmp_path, extractors=EXTRACTORS).fingerprint() == first
    write(tmp_path, "pins.lock", json.dumps({"b": "2", "a": "1.1"}))
    assert scan_tree(tmp_path, extractors=EXTRACTORS).fingerprint() != first


def test_duplicates_in_one_file_merge_their_locations(tmp_path: Path) -> None:
    write(tmp_path, "pins.txt", "a >=1\nb >=1\na >=1\n")
    inv = scan_tree(tmp_path, extractors=EXTRACTORS)
    assert [(p.name, [loc.line for loc in p.locations]) for p in inv.packages] == [
        ("a", [1, 3]),
        ("b", [2]),
    ]
    assert inv.to_dict()["packages"][0] == {
        "ecosystem": "PyPI",
        "name": "a",
        "version": None,
        "purl": "pkg:pypi/a",
        "direct": None,
        "scope": None,
        "locations": [{"path": "pins.txt", "line": 1}, {"path": "pins.txt", "line": 3}],
        "declared": ">=1",
    }
