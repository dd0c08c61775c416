"""bun.lock: JSON with trailing commas, install paths as keys, workspaces as roots."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.inventory.pyjs_support import errors, rows, scan, write

from deeptracy.inventory.extractors.javascript.bun_lock import BunLockExtractor

TESTDATA = Path(__file__).parent / "testdata" / "bun"


def test_packages_workspaces_nested_copies_and_scopes() -> None:
    inv = scan(TESTDATA, BunLockExtractor())
    assert rows(inv) == [
        ("@types/bun", "1.0.0", True, "dev", 31),
        ("bun-types", "1.0.18", False, "dev", 33),
        ("debug", "4.3.4", False, None, 35),
        ("fsevents", "2.3.3", True, "optional", 37),
        ("hono", "3.11.7", True, None, 39),
        ("is-number", None, True, None, 41),
        ("ms", "2.1.2", False, None, 49),  # "debug/ms": nested under debug
        ("ms", "2.1.3", True, None, 43),  # declared by the packages/shared workspace
        ("string-width", "4.2.3", True, None, 45),  # alias string-width-cjs
        ("zod", "3.22.4", True, None, 47),
    ]  # the @acme/shared workspace is not a package
    assert inv.errors == ()
    assert next(p for p in inv.packages if p.name == "is-number").note == (
        "not from the registry: github:jonschlinkert/is-number#98e8ff1"
    )


def test_comments_are_accepted_and_lines_kept(tmp_path: Path) -> None:
    write(
        tmp_path,
        "bun.lock",
        '{\n  // written by hand\n  "lockfileVersion": 1,\n  /* a\n  block */\n'
        '  "packages": {\n    "a": ["a@1.0.0", "", {}, "sha512-x",],\n  },\n}\n',
    )
    inv = scan(tmp_path, BunLockExtractor())
    assert rows(inv) == [("a", "1.0.0", None, None, 7)]  # no workspaces: direct unknown


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"lockfileVersion": 3, "packages": {}}', "unsupported lockfileVersion 3"),
        ('{"lockfileVersion": 1, "packages": []}', "'packages' is array, not an object"),
        ('{"lockfileVersion": 1, "workspaces": 7}', "'workspaces' is number, not an object"),
        ('{"lockfileVersion": 1, "packages": {"a": ["a@1.0.0",', "invalid JSON at line 1"),
        ('"just a string"', "top level is string, not an object"),
    ],
)
def test_unreadable_lockfiles(tmp_path: Path, text: str, message: str) -> None:
    write(tmp_path, "bun.lock", text)
    inv = scan(tmp_path, BunLockExtractor())
    assert inv.packages == ()
    [(path, line, got)] = errors(inv)
    assert (path, line) == ("bun.lock", None)
    assert got.startswith("javascript/bun-lock: ")
    assert message in got


def test_wrong_typed_entries_are_warnings(tmp_path: Path) -> None:
    write(
        tmp_path,
        "bun.lock",
        '{\n  "lockfileVersion": 1,\n  "packages": {\n    "a": "a@1.0.0",\n'
        '    "b": [42],\n    "c": ["c"],\n    "d": ["d@2.0.0", "", {}, "sha512-x"],\n  },\n}\n',
    )
    inv = scan(tmp_path, BunLockExtractor())
    assert rows(inv) == [("d", "2.0.0", None, None, 7)]
    assert errors(inv) == [
        # Only array values are looked for (names also appear as keys of dependency maps).
        ("bun.lock", None, "packages['a'] does not start with 'name@version'"),
        ("bun.lock", 5, "packages['b'] does not start with 'name@version'"),
        ("bun.lock", 6, "packages['c']: cannot read 'c' as name@version"),
    ]
