"""yarn.lock: the v1 syntax and yarn Berry's YAML."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.inventory.pyjs_support import errors, rows, scan, write

from deeptracy.inventory.extractors.javascript.package_json import PackageJsonExtractor
from deeptracy.inventory.extractors.javascript.yarn_lock import YarnLockExtractor

TESTDATA = Path(__file__).parent / "testdata" / "yarn"
GIT_SHA = "5f2d0e1d3fb7e2a3ba1b1a44c1b1f0a5de1d9a30"


def test_v1_blocks_aliases_and_scopes_from_the_manifest() -> None:
    inv = scan(TESTDATA / "v1", YarnLockExtractor(), PackageJsonExtractor())
    assert rows(inv) == [
        ("@babel/code-frame", "7.22.13", True, None, 5),
        ("@babel/highlight", "7.22.20", False, None, 13),
        ("ansi-styles", "3.2.1", False, None, 20),
        ("bufferutil", "4.0.8", False, "optional", 27),  # optional dependency of ws
        ("chalk", "2.4.2", False, None, 32),
        ("color-convert", "1.9.3", False, None, 39),
        ("fsevents", "2.3.3", True, "optional", 44),
        ("left-pad", None, True, None, 49),
        ("local-lib", None, True, None, 53),
        ("lodash", "4.17.21", True, None, 56),  # also reached from mocha: runtime wins
        ("mocha", "10.2.0", True, "dev", 61),
        ("string-width", "4.2.3", True, None, 69),  # "string-width-cjs@npm:string-width@..."
        ("strip-ansi", "6.0.1", False, None, 76),
        ("supports-color", "8.1.1", False, "dev", 81),
        ("typescript", "5.3.3", True, "dev", 86),
        ("ws", "8.14.2", True, None, 91),
    ]
    assert inv.errors == ()
    notes = {p.name: p.note for p in inv.packages if p.note}
    assert notes == {
        "left-pad": "not from the registry: git+https://github.com/stevemao/left-pad.git#v1.3.0"
        " (version 1.3.0 in the lockfile)",
        "local-lib": "not from the registry: file:./local-lib (version 0.1.0 in the lockfile)",
    }


def test_v1_without_a_manifest_leaves_direct_and_scope_unknown(tmp_path: Path) -> None:
    write(tmp_path, "yarn.lock", (TESTDATA / "v1" / "yarn.lock").read_text())
    inv = scan(tmp_path, YarnLockExtractor())
    assert {(p.direct, p.scope) for p in inv.packages} == {(None, None)}
    assert len(inv.packages) == 16


def test_berry_workspaces_patches_aliases_and_protocols() -> None:
    inv = scan(TESTDATA / "berry", YarnLockExtractor(), PackageJsonExtractor())
    # packages/ui/package.json has no lockfile beside it: it is a component of its own.
    assert {p.source for p in inv.packages} == {"yarn.lock", "packages/ui/package.json"}
    assert rows(inv)[:2] == [
        ("clsx", None, True, None, 5),
        ("react", None, True, "dev", 8),
    ]
    assert rows(inv)[2:] == [
        ("clsx", "2.1.0", True, None, 32),  # a dependency of the packages/ui workspace
        ("eslint", "8.56.0", True, "dev", 39),
        ("fsevents", "2.3.3", False, "dev", 54),  # optional, below a dev dependency
        ("hasown", "2.0.0", False, None, 64),
        ("is-core-module", "2.13.1", False, None, 71),
        ("js-tokens", "4.0.0", False, None, 80),
        ("js-yaml", "4.1.0", False, "dev", 87),
        ("left-pad", None, True, None, 94),
        ("loose-envify", "1.4.0", False, None, 107),
        ("react", "18.2.0", True, None, 118),
        ("resolve", "1.22.8", True, None, 127),  # the patch is the base package
        ("string-width", "4.2.3", True, None, 149),
        ("typescript", "5.3.3", True, "dev", 156),
    ]  # workspaces and the portal: folder are not packages
    assert inv.errors == ()
    by_name = {p.name: p for p in inv.packages}
    assert [loc.line for loc in by_name["resolve"].locations] == [127, 138]
    assert [loc.line for loc in by_name["typescript"].locations] == [156, 166]
    assert by_name["left-pad"].note == (
        f"not from the registry: left-pad@https://github.com/stevemao/left-pad.git#commit={GIT_SHA}"
        " (version 1.3.0 in the lockfile)"
    )


BERRY_V6 = """\
__metadata:
  version: 6
  cacheKey: 8

"app@workspace:.":
  version: 0.0.0-use.local
  resolution: "app@workspace:."
  dependencies:
    debug: ^4.3.4
  languageName: unknown
  linkType: soft

"debug@npm:^4.3.4":
  version: 4.3.4
  resolution: "debug@npm:4.3.4"
  dependencies:
    ms: 2.1.2
  languageName: node
  linkType: hard

"ms@npm:2.1.2":
  version: 2.1.2
  resolution: "ms@npm:2.1.2"
  languageName: node
  linkType: hard

"exec-thing@exec:./gen.js::locator=app%40workspace%3A.":
  version: 0.0.0-use.local
  resolution: "exec-thing@exec:./gen.js::locator=app%40workspace%3A."
  languageName: node
  linkType: hard
"""


def test_berry_v6_ranges_without_protocol_and_no_manifest(tmp_path: Path) -> None:
    write(tmp_path, "yarn.lock", BERRY_V6)
    inv = scan(tmp_path, YarnLockExtractor())
    assert [(n, v, d, s) for n, v, d, s, _ in rows(inv)] == [
        ("debug", "4.3.4", True, None),
        ("exec-thing", None, False, None),
        ("ms", "2.1.2", False, None),
    ]
    assert inv.errors == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '# yarn lockfile v1\n\nlodash@^4:\n  version "4.17.21\n',
            "line 4: unterminated string",
        ),
        ('# yarn lockfile v1\n\nlodash@^4:\n   version "4.17.21"\n', "line 4: unexpected "),
        ('# yarn lockfile v1\n\n  version "1.0.0"\n', "line 3: field outside of an entry"),
        ("# yarn lockfile v1\n\nlodash@^4\n", "line 3: expected 'specifier:'"),
        (
            "# yarn lockfile v1\n\n<<<<<<< HEAD\nlodash@^4:\n",
            "line 3: unresolved merge conflict marker",
        ),
        ("__metadata:\n  version: 99\n", "unsupported yarn lockfile __metadata.version '99'"),
        ("__metadata:\n  version: 8\nx: [unclosed\n", "invalid YAML at line 4 column 1"),
        ("__metadata: 1\n- a\n", "invalid YAML at line 2 column 1"),
    ],
)
def test_malformed_lockfiles_are_file_errors(tmp_path: Path, text: str, message: str) -> None:
    write(tmp_path, "yarn.lock", text)
    inv = scan(tmp_path, YarnLockExtractor())
    assert inv.packages == ()
    [(path, line, got)] = errors(inv)
    assert (path, line) == ("yarn.lock", None)
    assert got.startswith("javascript/yarn-lock: ")
    assert message in got


def test_berry_alias_bomb_is_refused(tmp_path: Path) -> None:
    lines = ["__metadata:", "  version: 8", 'a: &a ["x", "x", "x", "x", "x", "x", "x", "x"]']
    for i, name in enumerate("bcdefghij"):
        prev = "abcdefghij"[i]
        lines.append(f"{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]")
    write(tmp_path, "yarn.lock", "\n".join(lines) + "\n")
    inv = scan(tmp_path, YarnLockExtractor())
    assert inv.packages == ()
    assert errors(inv) == [
        (
            "yarn.lock",
            None,
            "javascript/yarn-lock: YAML alias *a at line 4: "
            "anchors and aliases are not accepted in a lockfile",
        )
    ]


def test_wrong_typed_berry_entries_are_warnings(tmp_path: Path) -> None:
    write(
        tmp_path,
        "yarn.lock",
        "__metadata:\n  version: 8\n\n"
        '"a@npm:^1":\n  - not a mapping\n\n'
        '"b@npm:^1":\n  version: 1.0.0\n\n'
        '"c@npm:^1":\n  version: 1.0.0\n  resolution: "c@npm:1.0.0"\n',
    )
    inv = scan(tmp_path, YarnLockExtractor())
    assert [(n, v) for n, v, *_ in rows(inv)] == [("c", "1.0.0")]
    assert errors(inv) == [
        ("yarn.lock", 4, "entry 'a@npm:^1' is sequence, not a mapping; skipped"),
        ("yarn.lock", 7, "entry 'b@npm:^1' has no resolution; skipped"),
    ]


def test_v1_block_without_version_is_a_warning(tmp_path: Path) -> None:
    write(
        tmp_path,
        "yarn.lock",
        '# yarn lockfile v1\n\na@^1:\n  resolved "https://r.example/a/-/a-1.0.0.tgz"\n\n'
        'b@^2:\n  version "2.0.0"\n',
    )
    inv = scan(tmp_path, YarnLockExtractor())
    assert [(n, v, ln) for n, v, _, _, ln in rows(inv)] == [("b", "2.0.0", 6)]
    assert errors(inv) == [("yarn.lock", 3, "entry 'a@^1' has no version; skipped")]
