"""pnpm-lock.yaml, lockfile versions 5.4, 6.0 and 9.0."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.inventory.pyjs_support import errors, rows, scan, write

from deeptracy.inventory.extractors.javascript.pnpm_lock import PnpmLockExtractor

TESTDATA = Path(__file__).parent / "testdata" / "pnpm"
IS_NUMBER_TARBALL = (
    "https://codeload.github.com/jonschlinkert/is-number/tar.gz/"
    "98e8ff1da1a89f93d1397a24d7413ed15421c139"
)


def test_v9_snapshots_peer_suffixes_importers_and_graph_scopes() -> None:
    inv = scan(TESTDATA / "v9", PnpmLockExtractor())
    assert rows(inv) == [
        ("@testing-library/react", "14.1.2", True, "dev", 46),  # suffix (react-dom@...(...))
        ("aria-query", "5.3.0", False, "dev", 53),
        ("fsevents", "2.3.3", True, "optional", 56),
        ("is-number", None, True, None, 61),
        ("js-tokens", "4.0.0", False, None, 66),
        ("lodash", "4.17.21", True, None, 69),  # direct dependency of packages/utils
        ("loose-envify", "1.4.0", False, None, 72),
        ("react", "18.2.0", True, None, 81),
        ("react-dom", "18.2.0", True, None, 76),
        ("scheduler", "0.23.0", False, None, 85),
        ("string-width", "4.2.3", True, None, 88),  # alias string-width-cjs
        ("typescript", "5.3.3", True, "dev", 92),
    ]  # the workspace link (link:packages/utils) is not a package
    assert inv.errors == ()
    is_number = next(p for p in inv.packages if p.name == "is-number")
    assert is_number.note == (
        f"not from the registry: {IS_NUMBER_TARBALL} (version 7.0.0 in the lockfile)"
    )


def test_v6_keys_flags_and_a_git_hosted_package() -> None:
    inv = scan(TESTDATA / "v6", PnpmLockExtractor())
    assert rows(inv) == [
        ("@types/prop-types", "15.7.11", False, "dev", 30),
        ("@types/react", "18.2.45", True, "dev", 34),
        ("csstype", "3.1.3", False, "dev", 41),
        ("fsevents", "2.3.3", True, "optional", 45),
        ("is-number", None, True, None, 87),
        ("js-tokens", "4.0.0", False, None, 53),
        ("loose-envify", "1.4.0", False, None, 57),
        ("react", "18.2.0", True, None, 74),
        ("react-dom", "18.2.0", True, None, 64),
        ("scheduler", "0.23.0", False, None, 81),
    ]
    assert inv.errors == ()
    assert next(p for p in inv.packages if p.name == "is-number").note == (
        f"not from the registry: {IS_NUMBER_TARBALL} (version 7.0.0 in the lockfile)"
    )


def test_v5_slash_keys_underscore_peer_suffix_and_importers() -> None:
    inv = scan(TESTDATA / "v5", PnpmLockExtractor())
    assert rows(inv) == [
        ("@babel/core", "7.23.6", False, "dev", 26),
        ("debug", "2.6.9", False, None, 31),
        ("express", "4.18.2", True, None, 37),
        ("jest-lite", "29.7.0", True, "dev", 44),
        ("ms", "2.0.0", False, None, 50),
        ("ms", "2.1.3", True, None, 54),
        ("react", "18.2.0", False, None, 58),
        ("string-width", "4.2.3", True, None, 63),  # alias: /string-width/4.2.3
        ("use-sync-external-store", "1.2.0", True, None, 68),  # 1.2.0_react@18.2.0
    ]
    assert inv.errors == ()


def test_peer_variants_of_one_package_are_one_package(tmp_path: Path) -> None:
    write(
        tmp_path,
        "pnpm-lock.yaml",
        """\
lockfileVersion: '9.0'

importers:

  .:
    dependencies:
      a:
        specifier: ^1.0.0
        version: 1.0.0
    devDependencies:
      use-thing:
        specifier: ^2.0.0
        version: 2.0.0(react@17.0.2)

packages:

  a@1.0.0:
    resolution: {integrity: sha512-aaaa}

  react@17.0.2:
    resolution: {integrity: sha512-bbbb}

  react@18.2.0:
    resolution: {integrity: sha512-cccc}

  use-thing@2.0.0:
    resolution: {integrity: sha512-dddd}

snapshots:

  a@1.0.0:
    dependencies:
      use-thing: 2.0.0(react@18.2.0)
      react: 18.2.0

  react@17.0.2: {}

  react@18.2.0: {}

  use-thing@2.0.0(react@17.0.2):
    dependencies:
      react: 17.0.2

  use-thing@2.0.0(react@18.2.0):
    dependencies:
      react: 18.2.0
""",
    )
    inv = scan(tmp_path, PnpmLockExtractor())
    assert rows(inv) == [
        ("a", "1.0.0", True, None, 17),
        ("react", "17.0.2", False, "dev", 20),
        ("react", "18.2.0", False, None, 23),
        ("use-thing", "2.0.0", True, None, 26),  # dev directly, runtime through a
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lockfileVersion: '4.0'\n", "unsupported lockfileVersion '4.0' (supported: 5.x, 6.x"),
        ("packages: {}\n", "unsupported lockfileVersion None"),
        ("lockfileVersion: '9.0'\npackages: [1, 2]\n", "'packages' is sequence, not a mapping"),
        ("- just\n- a list\n", "top level is sequence, not a mapping"),
        ("lockfileVersion: '9.0'\npackages: " + "[" * 5000, "exceeded maximum nesting depth"),
        ("lockfileVersion: '9.0'\npackages:\n  a@1: {\n", "invalid YAML at line 4 column 1"),
        ("lockfileVersion: '9.0'\n\tpackages: {}\n", "invalid YAML at line 2 column 1"),
        (
            "lockfileVersion: '9.0'\nx: &x [a, b]\npackages:\n  a@1.0.0: *x\n",
            "YAML alias *x at line 4: anchors and aliases are not accepted",
        ),
    ],
)
def test_malformed_and_hostile_lockfiles(tmp_path: Path, text: str, message: str) -> None:
    write(tmp_path, "pnpm-lock.yaml", text)
    inv = scan(tmp_path, PnpmLockExtractor())
    assert inv.packages == ()
    [(path, line, got)] = errors(inv)
    assert (path, line) == ("pnpm-lock.yaml", None)
    assert got.startswith("javascript/pnpm-lock: ")
    assert message in got


def test_python_tags_are_plain_data_never_objects(tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    write(
        tmp_path,
        "pnpm-lock.yaml",
        "lockfileVersion: '9.0'\npackages:\n"
        f'  a@1.0.0: !!python/object/apply:os.system ["touch {marker}"]\n'
        "  b@1.0.0: !!python/object:builtins.dict {resolution: {integrity: sha512-x}}\n",
    )
    inv = scan(tmp_path, PnpmLockExtractor())
    assert not marker.exists()
    assert rows(inv) == [("b", "1.0.0", False, None, 4)]
    assert errors(inv) == [("pnpm-lock.yaml", 3, "packages['a@1.0.0'] is sequence; skipped")]


def test_wrong_typed_entries_are_warnings(tmp_path: Path) -> None:
    write(
        tmp_path,
        "pnpm-lock.yaml",
        "lockfileVersion: '9.0'\n\nimporters:\n  .: [oops]\n\npackages:\n\n"
        "  a@1.0.0: just-a-string\n\n  b@2.0.0:\n    resolution: {integrity: sha512-x}\n",
    )
    inv = scan(tmp_path, PnpmLockExtractor())
    assert rows(inv) == [("b", "2.0.0", False, None, 10)]
    assert errors(inv) == [
        ("pnpm-lock.yaml", None, "importers['.'] is sequence; ignored"),
        ("pnpm-lock.yaml", 8, "packages['a@1.0.0'] is scalar; skipped"),
    ]
