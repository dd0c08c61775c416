"""SPDX 2.2 and 2.3 JSON documents (*.spdx.json) as an inventory source.

Packages are read from the purl of their `externalRefs` (referenceType `purl`); the
ecosystem comes from the purl. The packages the document DESCRIBES (relationships from
SPDXRef-DOCUMENT, DESCRIBED_BY, or the older `documentDescribes`) are its subject, not
dependencies. When relationships link the subject to packages (DEPENDS_ON, DEPENDENCY_OF and
the scoped *_DEPENDENCY_OF kinds), those are direct and the others transitive;
DEV_/TEST_/BUILD_/OPTIONAL_/PROVIDED_DEPENDENCY_OF give the scope. Packages without a purl
are skipped and counted in a warning. The tag-value encoding (*.spdx) is not read.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from deeptracy.inventory.extractors.sbom.components import Skipped, package_from_purl
from deeptracy.inventory.extractors.shapes import (
    as_array,
    as_object,
    opt_array,
    opt_object,
    opt_str,
)
from deeptracy.inventory.interface import ExtractError, Extractor, FileKind, ScanFile
from deeptracy.inventory.model import Location, Package, Scope

DOCUMENT = "SPDXRef-DOCUMENT"
_SCOPED = {
    "DEV_DEPENDENCY_OF": Scope.DEV,
    "TEST_DEPENDENCY_OF": Scope.TEST,
    "BUILD_DEPENDENCY_OF": Scope.BUILD,
    "OPTIONAL_DEPENDENCY_OF": Scope.OPTIONAL,
    "PROVIDED_DEPENDENCY_OF": Scope.PROVIDED,
}
_DEPENDENCY_OF = frozenset({"DEPENDENCY_OF", "RUNTIME_DEPENDENCY_OF", *_SCOPED})


def _purl(package: dict[str, Any]) -> str | None:
    for ref in opt_array(package.get("externalRefs")):
        ref = opt_object(ref)
        if opt_str(ref.get("referenceType")) == "purl":
            return opt_str(ref.get("referenceLocator"))
    return None


class SpdxJsonExtractor(Extractor):
    name = "sbom/spdx"
    ecosystem = ""
    kind = FileKind.SBOM
    patterns: ClassVar[tuple[str, ...]] = ("*.spdx.json",)

    def extract(self, file: ScanFile) -> Iterable[Package]:
        data = as_object(file.json(), "the document")
        version = opt_str(data.get("spdxVersion"))
        if version is None or not version.startswith("SPDX-2."):
            raise ExtractError(f"spdxVersion is {data.get('spdxVersion')!r}, not SPDX-2.x")
        document = opt_str(data.get("SPDXID")) or DOCUMENT
        relations = [opt_object(r) for r in opt_array(data.get("relationships"))]

        described = {d for d in opt_array(data.get("documentDescribes")) if isinstance(d, str)}
        scopes: dict[str, Scope] = {}
        for rel in relations:
            source, kind = opt_str(rel.get("spdxElementId")), opt_str(rel.get("relationshipType"))
            target = opt_str(rel.get("relatedSpdxElement"))
            if source and target and kind == "DESCRIBES" and source == document:
                described.add(target)
            elif source and target and kind == "DESCRIBED_BY" and target == document:
                described.add(source)
            if source and kind in _SCOPED:
                scopes[source] = _SCOPED[kind]

        direct: set[str] = set()
        for rel in relations:
            source, kind = opt_str(rel.get("spdxElementId")), opt_str(rel.get("relationshipType"))
            target = opt_str(rel.get("relatedSpdxElement"))
            if kind == "DEPENDS_ON" and source in described and target:
                direct.add(target)
            elif kind in _DEPENDENCY_OF and target in described and source:
                direct.add(source)

        skipped = Skipped()
        found = []
        for index, package in enumerate(as_array(data.get("packages") or [], "'packages'")):
            package = opt_object(package)
            spdx_id = opt_str(package.get("SPDXID")) or f"#{index + 1}"
            if spdx_id in described:
                continue
            label = opt_str(package.get("name")) or spdx_id
            purl = _purl(package)
            if purl is None:
                skipped.add("no purl", label)
                continue
            pkg = package_from_purl(
                purl,
                opt_str(package.get("versionInfo")),
                direct=(spdx_id in direct) if direct else None,
                scope=scopes.get(spdx_id),
                location=Location(file.path),
                skipped=skipped,
                label=label,
            )
            if pkg is not None:
                found.append(pkg)
        skipped.report(file)
        return found
