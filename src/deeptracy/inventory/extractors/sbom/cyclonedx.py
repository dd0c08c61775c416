"""CycloneDX SBOMs (JSON and XML, spec 1.2 to 1.6) as an inventory source.

Files: bom.json, *.cdx.json, bom.xml, *.cdx.xml (the names the CycloneDX specification
recommends). Every component with a purl is a package, nested components included; the
ecosystem comes from the purl. `metadata.component` is the subject the SBOM describes, not a
dependency. When the `dependencies` graph lists what the subject depends on, those
components are direct and the others transitive. Component scope `optional` is
Scope.OPTIONAL, `excluded` (not part of the runtime) Scope.DEV. Components without a purl, or
with a purl of an ecosystem DeepTracy does not match (deb, generic...), are skipped and
counted in one warning per reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from deeptracy.inventory.extractors.sbom.components import Skipped, package_from_purl
from deeptracy.inventory.extractors.shapes import (
    as_array,
    as_object,
    opt_array,
    opt_object,
    opt_str,
)
from deeptracy.inventory.extractors.xmltree import XmlNode, parse_xml
from deeptracy.inventory.interface import ExtractError, Extractor, FileKind, ScanFile
from deeptracy.inventory.model import Location, Package, Scope

_SCOPES = {"optional": Scope.OPTIONAL, "excluded": Scope.DEV}
_NAMESPACE = "http://cyclonedx.org/schema/bom/"


@dataclass(frozen=True, slots=True)
class Component:
    """The fields of a component that matter, from either encoding."""

    ref: str | None
    name: str | None
    version: str | None
    purl: str | None
    scope: str | None
    line: int | None


@dataclass(frozen=True, slots=True)
class Bom:
    subject_ref: str | None
    components: list[Component]
    depends_on: dict[str, list[str]]


def _json_component(data: dict[str, Any]) -> Component:
    return Component(
        ref=opt_str(data.get("bom-ref")),
        name=opt_str(data.get("name")),
        version=opt_str(data.get("version")),
        purl=opt_str(data.get("purl")),
        scope=opt_str(data.get("scope")),
        line=None,
    )


def _walk_json(components: list[Any]) -> Iterator[dict[str, Any]]:
    stack = list(reversed(components))
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(reversed(opt_array(item.get("components"))))


def read_json(file: ScanFile) -> Bom:
    data = as_object(file.json(), "the document")
    if data.get("bomFormat") != "CycloneDX":
        raise ExtractError(f"bomFormat is {data.get('bomFormat')!r}, not 'CycloneDX'")
    subject = opt_object(opt_object(data.get("metadata")).get("component"))
    components = [
        _json_component(c)
        for c in _walk_json(as_array(data.get("components") or [], "'components'"))
    ]
    graph: dict[str, list[str]] = {}
    for entry in opt_array(data.get("dependencies")):
        ref = opt_str(opt_object(entry).get("ref"))
        if ref:
            graph[ref] = [d for d in opt_array(entry.get("dependsOn")) if isinstance(d, str)]
    return Bom(opt_str(subject.get("bom-ref")), components, graph)


def _xml_component(node: XmlNode) -> Component:
    return Component(
        ref=node.attr("bom-ref"),
        name=node.findtext("name"),
        version=node.findtext("version"),
        purl=node.findtext("purl"),
        scope=node.findtext("scope"),
        line=node.line,
    )


def read_xml(file: ScanFile) -> Bom:
    root = parse_xml(file.data)
    if root.tag != "bom" or not root.namespace.startswith(_NAMESPACE):
        raise ExtractError(
            f"root element is <{root.tag}> in {root.namespace or 'no namespace'!r}, "
            "not a CycloneDX <bom>"
        )
    subject = root.path("metadata", "component")
    components: list[Component] = []
    top = root.find("components")
    stack = list(reversed(top.findall("component"))) if top is not None else []
    while stack:
        node = stack.pop()
        components.append(_xml_component(node))
        nested = node.find("components")
        if nested is not None:
            stack.extend(reversed(nested.findall("component")))
    graph: dict[str, list[str]] = {}
    deps = root.find("dependencies")
    for entry in deps.findall("dependency") if deps is not None else []:
        ref = entry.attr("ref")
        if ref:
            graph[ref] = [d.attr("ref") or "" for d in entry.findall("dependency")]
    return Bom(subject.attr("bom-ref") if subject is not None else None, components, graph)


class CycloneDxExtractor(Extractor):
    name = "sbom/cyclonedx"
    ecosystem = ""
    kind = FileKind.SBOM
    filenames: ClassVar[frozenset[str]] = frozenset({"bom.json", "bom.xml"})
    patterns: ClassVar[tuple[str, ...]] = ("*.cdx.json", "*.cdx.xml")

    def extract(self, file: ScanFile) -> Iterable[Package]:
        bom = read_xml(file) if file.name.endswith(".xml") else read_json(file)
        direct_refs = bom.depends_on.get(bom.subject_ref) if bom.subject_ref else None
        skipped = Skipped()
        found = []
        for component in bom.components:
            if component.ref is not None and component.ref == bom.subject_ref:
                continue
            label = component.name or component.ref or "?"
            if component.purl is None:
                skipped.add("no purl", label)
                continue
            pkg = package_from_purl(
                component.purl,
                component.version,
                direct=(component.ref in direct_refs) if direct_refs is not None else None,
                scope=_SCOPES.get(component.scope or ""),
                location=Location(file.path, component.line),
                skipped=skipped,
                label=label,
            )
            if pkg is not None:
                found.append(pkg)
        skipped.report(file)
        return found
