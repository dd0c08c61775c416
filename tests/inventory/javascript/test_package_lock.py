"""package-lock.json (v1, v2, v3) and npm-shrinkwrap.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.inventory.pyjs_support import errors, rows, scan, write

from deeptracy.inventory.extractors.javascript import package_lock
from deeptracy.inventory.extractors.javascript.package_json import PackageJsonExtractor
from deeptracy.inventory.extractors.javascript.package_lock import PackageLockExtractor
from deeptracy.inventory.interface import ScanFile
from deeptracy.inventory.model import Package

TESTDATA = Path(__file__).parent / "testdata" / "package_lock"
GIT_SHA = "5f2d0e1d3fb7e2a3ba1b1a44c1b1f0a5de1d9a30"


def test_v3_nested_aliases_links_workspaces_and_flags() -> None:
    inv = scan(TESTDATA / "v3", PackageLockExtractor())
    # v2/v3 packages are located by file only: see _from_packages.
    assert rows(inv) == [
        ("chokidar", "3.5.3", False, "optional", None),  # devOptional
        ("clsx", "1.2.1", False, "dev", None),
        ("clsx", "2.1.0", True, None, None),  # the workspace's own copy
        ("debug", "2.6.9", False, None, None),
        ("express", "4.18.2", True, None, None),
        ("fsevents", "2.3.3", True, "optional", None),
        ("jest-lite", "29.7.0", True, "dev", None),
        ("left-pad", None, True, None, None),
        ("ms", "2.0.0", False, None, None),  # nested under debug
        ("nan", "2.17.0", False, "dev", None),  # dev and optional: dev only
        ("react", "18.2.0", True, "peer", None),  # a peer the workspace declares
        ("string-width", "4.2.3", True, None, None),  # alias string-width-cjs, "name" field
        ("strip-ansi", "6.0.1", False, "dev", None),  # alias without "name": from the URL
    ]
    assert inv.errors == ()
    left_pad = next(p for p in inv.packages if p.name == "left-pad")
    assert left_pad.note == (
        f"not from the registry: git+ssh://git@github.com/stevemao/left-pad.git#{GIT_SHA} "
        "(version 1.3.0 in the lockfile)"
    )
    assert left_pad.purl == "pkg:npm/left-pad"
    string_width = next(p for p in inv.packages if p.name == "string-width")
    assert string_width.purl == "pkg:npm/string-width@4.2.3"


def test_v1_nested_dependencies_direct_from_the_manifest_beside_it() -> None:
    inv = scan(TESTDATA / "v1", PackageLockExtractor())
    assert rows(inv) == [
        ("accepts", "1.3.8", True, None, 7),
        ("body-parser", "1.20.1", True, None, 15),
        ("debug", "2.6.9", False, None, 23),  # nested under body-parser
        ("debug", "4.3.4", True, "dev", 38),
        ("fsevents", "2.3.2", True, "optional", 47),
        ("left-pad", None, True, None, 53),
        ("lodash", "4.17.21", True, None, 68),  # "my-lodash": "npm:lodash@..."
        ("mime-types", "2.1.35", False, None, 57),
        ("ms", "2.0.0", False, None, 31),
        ("ms", "2.1.2", False, "dev", 62),
    ]  # "utils" is a local folder (file:packages/utils): npm links it, not a package
    assert inv.errors == ()
    assert next(p for p in inv.packages if p.name == "left-pad").note == (
        f"not from the registry: git+https://github.com/stevemao/left-pad.git#{GIT_SHA}"
    )


def test_v1_without_a_manifest_does_not_guess_direct_dependencies(tmp_path: Path) -> None:
    write(
        tmp_path,
        "package-lock.json",
        (TESTDATA / "v1" / "package-lock.json").read_text(),
    )
    inv = scan(tmp_path, PackageLockExtractor())
    assert [(p.name, p.version, p.direct) for p in inv.packages][:4] == [
        ("accepts", "1.3.8", None),
        ("body-parser", "1.20.1", None),
        ("debug", "2.6.9", False),  # nested: transitive whatever the manifest says
        ("debug", "4.3.4", None),
    ]


def test_shrinkwrap_v2_reads_packages_and_bundled_dependencies() -> None:
    inv = scan(TESTDATA / "shrinkwrap", PackageLockExtractor())
    assert rows(inv) == [
        ("y18n", "5.0.8", False, None, None),
        ("yargs", "17.7.2", True, None, None),
    ]
    assert [p.source for p in inv.packages] == ["npm-shrinkwrap.json"] * 2


def test_lockfile_supersedes_the_manifest_beside_it() -> None:
    inv = scan(TESTDATA / "v1", PackageLockExtractor(), PackageJsonExtractor())
    assert {p.source for p in inv.packages} == {"package-lock.json"}
    assert len([p for p in inv.packages if p.name == "accepts"]) == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"lockfileVersion": 3, "packages": []}', "'packages' is array, not an object"),
        ('{"lockfileVersion": 4, "packages": {}}', "unsupported lockfileVersion 4"),
        ('{"lockfileVersion": "3", "packages": {}}', "unsupported lockfileVersion '3'"),
        ('{"lockfileVersion": 1, "dependencies": "x"}', "'dependencies' is string"),
        ("[1, 2]", "top level is array, not an object"),
        (
            '{"lockfileVersion": 3, "packages": {"node_modules/a": {"vers',
            "invalid JSON at line 1 column 56: Unterminated string starting at",
        ),
        ("\ufeff\xff", "invalid JSON"),
        ("[" * 100_000, "JSON nested too deeply to be read"),
    ],
)
def test_unreadable_lockfiles_are_file_errors(tmp_path: Path, text: str, message: str) -> None:
    write(tmp_path, "package-lock.json", text)
    inv = scan(tmp_path, PackageLockExtractor())
    assert inv.packages == ()
    [(path, line, got)] = errors(inv)
    assert (path, line) == ("package-lock.json", None)
    assert got.startswith("javascript/package-lock: ")
    assert message in got


def test_wrong_typed_entries_are_warnings_and_other_entries_are_read(tmp_path: Path) -> None:
    lock = {
        "lockfileVersion": 3,
        "packages": {
            "": {"dependencies": {"a": "^1.0.0"}},
            "node_modules/a": {"version": "1.0.0"},
            "node_modules/b": "oops",
            "node_modules/c": {"version": 2},
            "node_modules/d": {"peer": True, "optional": True},  # not installed
            "node_modules/e": {"version": "1.0.0", "name": 5, "dev": "yes"},
        },
    }
    write(tmp_path, "package-lock.json", json.dumps(lock, indent=2))
    inv = scan(tmp_path, PackageLockExtractor())
    assert rows(inv) == [("a", "1.0.0", True, None, None), ("e", "1.0.0", False, None, None)]
    assert errors(inv) == [
        (
            "package-lock.json",
            None,
            "packages['node_modules/b'] is string, not an object; skipped",
        ),
        (
            "package-lock.json",
            None,
            "packages['node_modules/c']: version is number, not a string; skipped",
        ),
    ]


def test_irregular_and_regular_entries_mix(tmp_path: Path) -> None:
    """One odd entry sends only itself down the slow path; the others stay exact."""
    lock = {
        "lockfileVersion": 3,
        "packages": {
            "": {"dependencies": {"a": "^1.0.0", "b": "^2.0.0"}},
            "node_modules/a": {
                "version": "1.0.0",
                "resolved": "https://registry.npmjs.org/a/-/a-1.0.0.tgz",
                "dev": True,
            },
            "node_modules/b": {
                "version": "2.0.0",
                "resolved": "https://registry.npmjs.org/bee/-/bee-2.0.0.tgz",
            },
            "node_modules/c": {"version": "3.0.0", "inBundle": True, "optional": "yes"},
            "node_modules/d": {
                "version": "4.0.0",
                "resolved": "https://registry.npmjs.org/d/-/d-4.0.0.tgz",
                "peer": True,
                "devOptional": False,
            },
        },
    }
    write(tmp_path, "package-lock.json", json.dumps(lock))
    inv = scan(tmp_path, PackageLockExtractor())
    assert [(p.name, p.version, p.direct, p.scope) for p in inv.packages] == [
        ("a", "1.0.0", True, "dev"),
        ("bee", "2.0.0", True, None),  # an alias written without "name"
        ("c", "3.0.0", False, None),  # bundled: no "resolved"; a flag that is not true
        ("d", "4.0.0", False, "peer"),
    ]
    assert [p.purl for p in inv.packages] == [
        "pkg:npm/a@1.0.0",
        "pkg:npm/bee@2.0.0",
        "pkg:npm/c@3.0.0",
        "pkg:npm/d@4.0.0",
    ]


def test_typed_and_standard_decoding_give_the_same_packages() -> None:
    """The fast path (msgspec records, column-wise) and the exact one (json, entry by entry)
    agree on the same file."""
    path = TESTDATA / "v3" / "package-lock.json"
    fast = list(PackageLockExtractor().extract(ScanFile("package-lock.json", path.read_bytes())))
    exact = package_lock._from_dicts(
        ScanFile("package-lock.json", b""), json.loads(path.read_text())["packages"]
    )

    def key(pkg: Package) -> tuple[str, str]:
        return (pkg.name, pkg.version or "")

    assert sorted(fast, key=key) == sorted(exact, key=key)
    assert len(fast) == 13
