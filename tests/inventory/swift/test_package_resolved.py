"""Package.resolved formats 1, 2 and 3: SwiftURL names, branch and local pins."""

from __future__ import annotations

from pathlib import Path

from tests.inventory.extractor_support import errors, rows, scan, write

from deeptracy.inventory.extractors.swift.resolved import PackageResolvedExtractor

DATA = Path(__file__).parent / "data"


def test_all_formats() -> None:
    inv = scan(DATA, PackageResolvedExtractor())
    v1, v2, v3 = ([(f"{v}/Package.resolved", None)] for v in ("v1", "v2", "v3"))
    assert rows(inv) == [
        ("github.com/alamofire/alamofire", "5.8.1", None, None, None, v1, None),
        (
            "github.com/snapkit/snapkit",
            None,
            None,
            None,
            None,
            v1,
            "branch develop at f222cbdf325885926566172f6f5f06af95473158",
        ),
        (
            "/users/dev/src/acme-kit",
            None,
            None,
            None,
            None,
            v2,
            "local repository /Users/dev/src/acme-kit",
        ),
        ("github.com/apple/swift-nio", "2.62.0", None, None, None, v2, None),
        (
            "github.com/vapor/vapor",
            None,
            None,
            None,
            None,
            v2,
            "revision 4ad6b4d6e1b0c0fd3d2a1e0a2c5d0d73bd2a5b7e",
        ),
        ("github.com/apple/swift-argument-parser", "1.3.0", None, None, None, v3, None),
    ]
    assert inv.packages[0].purl == "pkg:swift/github.com/alamofire/alamofire@5.8.1"
    assert errors(inv) == [
        (
            "v2/Package.resolved",
            None,
            "pin 'mona.linkedlist' comes from a package registry: not matched (SwiftURL "
            "advisories name repository URLs)",
        ),
        ("v3/Package.resolved", None, "pin #2 is a string, not an object"),
    ]


def test_malformed_package_resolved(tmp_path: Path) -> None:
    write(tmp_path, "a/Package.resolved", '{"version": 2}')
    write(tmp_path, "b/Package.resolved", '{"pins": {"x": 1}, "version": 2}')
    write(tmp_path, "c/Package.resolved", '{"object": {"pins": null}, "version": 1}')
    inv = scan(tmp_path, PackageResolvedExtractor())
    assert errors(inv) == [
        (
            "a/Package.resolved",
            None,
            "swift/package-resolved: no 'pins' (format 2, 3) nor 'object.pins' (format 1)",
        ),
        ("b/Package.resolved", None, "swift/package-resolved: 'pins' is an object, not an array"),
        ("c/Package.resolved", None, "swift/package-resolved: 'object.pins' is null, not an array"),
    ]
