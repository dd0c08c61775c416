"""package.json: declared dependencies, their scopes, and non-registry specifiers."""

from __future__ import annotations

from pathlib import Path

from tests.inventory.pyjs_support import errors, scan, write

from deeptracy.inventory.extractors.javascript.package_json import PackageJsonExtractor

TESTDATA = Path(__file__).parent / "testdata" / "package_json"


def test_declared_dependencies_with_scopes_lines_and_notes() -> None:
    inv = scan(TESTDATA / "app", PackageJsonExtractor())
    got = [
        (p.name, p.version, p.declared, p.direct, p.scope, p.locations[0].line, p.note)
        for p in inv.packages
    ]
    assert got == [
        ("@storefront/ui", None, None, True, None, 15, "not from the registry: workspace:*"),
        ("fsevents", None, "^2.3.2", True, "optional", 26, None),
        (
            "left-pad",
            None,
            None,
            True,
            None,
            14,
            "not from the registry: github:stevemao/left-pad#v1.3.0",
        ),
        ("local-utils", None, None, True, None, 16, "not from the registry: file:../local-utils"),
        ("lodash", None, "4.17.21", True, None, 12, None),
        ("my-fork", None, None, True, None, 18, "not from the registry: someone/my-fork#main"),
        ("next", None, "latest", True, None, 19, None),
        ("react", None, ">=17", True, "peer", 29, None),
        ("react", None, "^18.2.0", True, None, 10, None),
        ("react-dom", None, "^18.2.0", True, None, 11, None),
        ("string-width", None, "^4.2.0", True, None, 13, None),
        (
            "tarball-dep",
            None,
            None,
            True,
            None,
            17,
            "not from the registry: https://example.com/tarball-dep-1.0.0.tgz",
        ),
        ("typescript", None, "~5.3.3", True, "dev", 22, None),
        ("vitest", None, ">=1.0.0 <2", True, "dev", 23, None),
    ]
    assert inv.errors == ()
    assert inv.packages[0].purl == "pkg:npm/%40storefront/ui"


def test_wrong_types_are_reported_and_the_rest_is_read(tmp_path: Path) -> None:
    write(
        tmp_path,
        "package.json",
        '{\n  "name": "x",\n  "dependencies": ["react"],\n'
        '  "devDependencies": {\n    "jest": 29,\n    "eslint": "^8.0.0"\n  }\n}\n',
    )
    inv = scan(tmp_path, PackageJsonExtractor())
    assert [(p.name, p.declared, p.locations[0].line) for p in inv.packages] == [
        ("eslint", "^8.0.0", 6)
    ]
    assert errors(inv) == [
        ("package.json", 3, "dependencies is array, not an object; ignored"),
        ("package.json", 5, "devDependencies.jest: version is number, not a string; ignored"),
    ]


def test_top_level_must_be_an_object(tmp_path: Path) -> None:
    write(tmp_path, "package.json", '["not", "a", "manifest"]')
    write(tmp_path, "broken/package.json", '{"dependencies": {"a": "1"')
    inv = scan(tmp_path, PackageJsonExtractor())
    assert inv.packages == ()
    assert errors(inv) == [
        (
            "broken/package.json",
            None,
            "javascript/package-json: invalid JSON at line 1 column 27: Expecting ',' delimiter",
        ),
        ("package.json", None, "javascript/package-json: top level is array, not an object"),
    ]
