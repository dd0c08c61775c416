"""The shortcuts the extractors take for speed give what the plain constructors give."""

from __future__ import annotations

from itertools import repeat

import pytest

from deeptracy.ecosystems import NPM, purl_for
from deeptracy.inventory.extractors.javascript.npm import (
    classify_spec,
    name_from_tarball_url,
    npm_purl,
    npm_purls,
)
from deeptracy.inventory.extractors.support import packages as fast
from deeptracy.inventory.extractors.support.graph import scopes
from deeptracy.inventory.extractors.support.jsontext import KeyLocator, loads_jsonc
from deeptracy.inventory.model import Location, Package, Scope

PAIRS = [
    ("lodash", "4.17.21"),
    ("@babel/core", "7.23.6"),
    ("@Babel/Core", "7.23.6"),  # packageurl keeps the scope's case, lowercases the name
    ("JSONStream", "1.3.5"),
    ("a", "1.0.0+build.5"),
    ("a", "1.0.0-rc.1"),
    ("left_pad.x~y", "0.0.1"),
    ("weird!name", "1.0.0"),
    ("@scope/x", "2.0.0-beta.1"),
]


@pytest.mark.parametrize(("name", "version"), PAIRS)
def test_npm_purl_is_purl_for(name: str, version: str) -> None:
    assert npm_purl(name, version) == purl_for(NPM, name, version)


def test_npm_purls_in_bulk_are_purl_for() -> None:
    names, versions = zip(*PAIRS, strict=True)
    assert npm_purls(names, versions) == [purl_for(NPM, n, v) for n, v in PAIRS]
    plain = [("lodash", "4.17.21"), ("@babel/core", "7.23.6"), ("ms", "2.1.3")]
    names, versions = zip(*plain, strict=True)
    assert npm_purls(names, versions) == [purl_for(NPM, n, v) for n, v in plain]
    assert npm_purls(["a", "b"], ["1.0.0", None]) == ["pkg:npm/a@1.0.0", "pkg:npm/b"]


def test_column_wise_packages_equal_plain_packages(monkeypatch: pytest.MonkeyPatch) -> None:
    columns = (
        ["a", "@s/b", "c"],
        ["1.0.0", None, "3.0.0"],
        [True, False, None],
        [None, Scope.DEV, Scope.OPTIONAL],
    )
    notes = [None, "not from the registry: x", None]
    purls = ["pkg:npm/a@1.0.0", "pkg:npm/%40s/b", "pkg:npm/c@3.0.0"]
    expected = [
        Package(NPM, n, v, None, d, s, (Location("p.json", line),), note, purl)
        for n, v, d, s, line, note, purl in zip(*columns, [3, 7, None], notes, purls, strict=True)
    ]
    built = fast.build_packages(NPM, "p.json", *columns, [3, 7, None], notes, purls)
    assert built == expected
    assert [hash(p) for p in built] == [hash(p) for p in expected]
    monkeypatch.setattr(fast, "_FAST", False)
    assert fast.build_packages(NPM, "p.json", *columns, [3, 7, None], notes, purls) == expected
    unlocated = fast.build_packages(NPM, "p.json", *columns, None, repeat(None, 3), purls)
    assert {p.locations for p in unlocated} == {(Location("p.json"),)}


def test_graph_scopes_take_the_best_path() -> None:
    edges = {
        "app": [("lib", None), ("opt", Scope.OPTIONAL)],
        "lib": [("shared", None)],
        "opt": [("shared", None), ("only-opt", None)],
        "tool": [("lib", None), ("only-dev", None)],
        "only-dev": [("opt", None)],
    }
    found = scopes([("app", None), ("tool", Scope.DEV)], lambda n: edges.get(n, []))
    assert found == {
        "app": None,
        "lib": None,
        "shared": None,
        "opt": Scope.OPTIONAL,
        "only-opt": Scope.OPTIONAL,
        "tool": Scope.DEV,
        "only-dev": Scope.DEV,
    }


def test_key_locator_skips_string_values_and_escaped_quotes() -> None:
    text = '{\n  "a": "\\"b\\": {",\n  "req": {"b": "^1"},\n  "b": {\n    "x": 1\n  }\n}\n'
    loc = KeyLocator(text)
    assert loc.line_of("b", "{") == 4
    assert loc.line_of("missing") is None
    assert loc.line_of("x") == 5


def test_jsonc_keeps_strings_with_comment_markers() -> None:
    assert loads_jsonc('{"u": "https://x//y", /* c */ "v": [1, 2,], // end\n}') == {
        "u": "https://x//y",
        "v": [1, 2],
    }


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("^1.2.3", ("x", "^1.2.3", None)),
        ("npm:@scope/real@~2.0.0", ("@scope/real", "~2.0.0", None)),
        ("npm:real", ("real", "", None)),
        (
            "git+ssh://git@github.com/a/b.git",
            ("x", None, "not from the registry: git+ssh://git@github.com/a/b.git"),
        ),
        ("a/b#semver:^1", ("x", None, "not from the registry: a/b#semver:^1")),
        ("1.0.0 - 2.0.0", ("x", "1.0.0 - 2.0.0", None)),
        ("catalog:", ("x", None, "not from the registry: catalog:")),
    ],
)
def test_package_json_specifiers(spec: str, expected: tuple[str, str | None, str | None]) -> None:
    assert classify_spec("x", spec) == expected


def test_names_from_tarball_urls() -> None:
    assert name_from_tarball_url("https://r.example/@s/n/-/n-1.0.0.tgz") == "@s/n"
    assert name_from_tarball_url("https://r.example/api/npm/@s%2fn/-/n-1.0.0.tgz") == "@s/n"
    assert name_from_tarball_url("https://r.example/n/-/n-1.0.0.tgz") == "n"
    assert name_from_tarball_url("https://r.example/n.tgz") is None
