"""SBOMs as input: CycloneDX JSON and XML (nested components, the subject, the dependency
graph) and SPDX 2.3 JSON (DESCRIBES, DEPENDS_ON, scoped relationships)."""

from __future__ import annotations

from pathlib import Path

from tests.inventory.extractor_support import errors, scan, write

from deeptracy.inventory.extractors.sbom.cyclonedx import CycloneDxExtractor
from deeptracy.inventory.extractors.sbom.spdx import SpdxJsonExtractor
from deeptracy.inventory.model import Inventory

DATA = Path(__file__).parent / "data"


def sbom_rows(inv: Inventory, source: str) -> list[tuple[object, ...]]:
    return [
        (
            p.ecosystem,
            p.name,
            p.version,
            p.direct,
            p.scope.value if p.scope else None,
            p.purl,
            [loc.line for loc in p.locations],
        )
        for p in inv.packages
        if p.source == source
    ]


def test_cyclonedx_json_with_nested_components_and_graph() -> None:
    inv = scan(DATA, CycloneDxExtractor(), SpdxJsonExtractor())
    src = "cdx-json/checkout.cdx.json"
    assert sbom_rows(inv, src) == [
        (
            "Maven",
            "com.acme:acme-shaded-utils",
            "1.1.0",
            True,
            None,
            "pkg:maven/com.acme/acme-shaded-utils@1.1.0",
            [None],
        ),
        # nested inside the shaded jar: part of it, not named by the subject
        (
            "Maven",
            "commons-collections:commons-collections",
            "3.2.1",
            False,
            None,
            "pkg:maven/commons-collections/commons-collections@3.2.1",
            [None],
        ),
        (
            "Maven",
            "org.junit.jupiter:junit-jupiter-api",
            "5.10.0",
            True,
            "dev",
            "pkg:maven/org.junit.jupiter/junit-jupiter-api@5.10.0",
            [None],
        ),
        (
            "Maven",
            "org.springframework:spring-web",
            "6.0.13",
            False,
            None,
            "pkg:maven/org.springframework/spring-web@6.0.13",
            [None],
        ),
        (
            "Maven",
            "org.springframework:spring-webmvc",
            "6.0.13",
            True,
            None,
            "pkg:maven/org.springframework/spring-webmvc@6.0.13",
            [None],
        ),
        # a purl without a version takes the component's
        ("PyPI", "requests", "2.31.0", False, None, "pkg:pypi/requests@2.31.0", [None]),
        (
            "npm",
            "@angular/core",
            "16.2.0",
            True,
            "optional",
            "pkg:npm/%40angular/core@16.2.0",
            [None],
        ),
    ]
    assert [e for e in errors(inv) if e[0] == src] == [
        (src, None, "1 component(s) skipped, no purl: static/js/legacy-lib.min.js"),
        (
            src,
            None,
            "1 component(s) skipped, purl type 'deb' has no OSV ecosystem DeepTracy reads: libssl3",
        ),
    ]


def test_cyclonedx_xml_and_a_bom_without_metadata() -> None:
    inv = scan(DATA, CycloneDxExtractor(), SpdxJsonExtractor())
    src = "cdx-xml/bom.xml"
    assert sbom_rows(inv, src) == [
        (
            "Go",
            "github.com/gin-gonic/gin",
            "v1.9.1",
            True,
            None,
            "pkg:golang/github.com/gin-gonic/gin@v1.9.1",
            [12],
        ),
        (
            "Go",
            "golang.org/x/net",
            "v0.17.0",
            False,
            None,
            "pkg:golang/golang.org/x/net@v0.17.0",
            [33],
        ),
        ("RubyGems", "rails", "7.0.8", False, "optional", "pkg:gem/rails@7.0.8", [25]),
        ("crates.io", "openssl", "0.10.57", False, None, "pkg:cargo/openssl@0.10.57", [20]),
    ]
    assert [e for e in errors(inv) if e[0] == src] == [
        (src, None, "1 component(s) skipped, no purl: ledger-runtime")
    ]
    assert sbom_rows(inv, "cdx-14/bom.json") == [
        (
            "NuGet",
            "Newtonsoft.Json",
            "13.0.3",
            None,
            None,
            "pkg:nuget/Newtonsoft.Json@13.0.3",
            [None],
        ),
        (
            "Packagist",
            "guzzlehttp/guzzle",
            "7.8.0",
            None,
            None,
            "pkg:composer/guzzlehttp/guzzle@7.8.0",
            [None],
        ),
        ("npm", "lodash", "4.17.21", None, None, "pkg:npm/lodash@4.17.21", [None]),
    ]


def test_spdx_describes_depends_on_and_scopes() -> None:
    inv = scan(DATA, CycloneDxExtractor(), SpdxJsonExtractor())
    src = "spdx/image.spdx.json"
    assert sbom_rows(inv, src) == [
        ("PyPI", "django", "4.2.7", True, None, "pkg:pypi/django@4.2.7", [None]),
        ("PyPI", "pytest", "7.4.3", True, "dev", "pkg:pypi/pytest@7.4.3", [None]),
        ("PyPI", "sqlparse", "0.4.4", False, None, "pkg:pypi/sqlparse@0.4.4", [None]),
    ]
    assert [e for e in errors(inv) if e[0] == src] == [
        (src, None, "1 component(s) skipped, no purl: libc6")
    ]


def test_hostile_and_wrong_sboms(tmp_path: Path) -> None:
    secret = write(tmp_path, "secret.txt", "pkg:npm/leaked@1.0.0")
    root = tmp_path / "repo"
    write(
        root,
        "xxe/bom.xml",
        f'<?xml version="1.0"?>\n<!DOCTYPE bom [<!ENTITY x SYSTEM "{secret.as_uri()}">]>\n'
        '<bom xmlns="http://cyclonedx.org/schema/bom/1.5"><components><component>'
        "<name>x</name><purl>&x;</purl></component></components></bom>",
    )
    write(root, "spdx/bom.json", '{"spdxVersion": "SPDX-2.3", "packages": []}')
    write(root, "wrongxml/app.cdx.xml", '<bom xmlns="http://example.com/other"/>')
    write(root, "truncated/app.cdx.json", '{"bomFormat": "CycloneDX", "components": [')
    write(root, "old/legacy.spdx.json", '{"spdxVersion": "SPDX-1.2"}')
    write(root, "types/x.spdx.json", '{"spdxVersion": "SPDX-2.3", "packages": {"a": 1}}')
    inv = scan(root, CycloneDxExtractor(), SpdxJsonExtractor())
    assert inv.packages == ()
    assert errors(inv) == [
        ("old/legacy.spdx.json", None, "sbom/spdx: spdxVersion is 'SPDX-1.2', not SPDX-2.x"),
        ("spdx/bom.json", None, "sbom/cyclonedx: bomFormat is None, not 'CycloneDX'"),
        (
            "truncated/app.cdx.json",
            None,
            "sbom/cyclonedx: invalid JSON at line 1 column 43: Expecting value",
        ),
        ("types/x.spdx.json", None, "sbom/spdx: 'packages' is an object, not an array"),
        (
            "wrongxml/app.cdx.xml",
            None,
            "sbom/cyclonedx: root element is <bom> in 'http://example.com/other', not a "
            "CycloneDX <bom>",
        ),
        (
            "xxe/bom.xml",
            None,
            "sbom/cyclonedx: refused: the document declares a DTD (<!DOCTYPE bom>), where entity "
            "expansion bombs and external entities (XXE) live; nothing was read",
        ),
    ]
