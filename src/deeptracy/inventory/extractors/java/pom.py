"""The parts of a POM that decide dependencies, read from XML without any interpretation."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from deeptracy.inventory.extractors.xmltree import XmlNode, parse_xml
from deeptracy.inventory.interface import ExtractError


@dataclass(frozen=True, slots=True)
class PomDependency:
    """A <dependency> element as written (properties not yet interpolated)."""

    group: str | None
    artifact: str | None
    version: str | None
    scope: str | None
    type: str | None
    classifier: str | None
    optional: str | None
    path: str  # the POM that declares it
    line: int

    @property
    def merge_key(self) -> tuple[str, str, str, str]:
        """How inheritance matches a child's dependency with a parent's, before interpolation."""
        return (self.group or "", self.artifact or "", self.type or "jar", self.classifier or "")


@dataclass(frozen=True, slots=True)
class ParentRef:
    group: str | None
    artifact: str | None
    version: str | None
    relative_path: str | None  # None: Maven's default ../pom.xml; "": repositories only
    line: int

    @property
    def gav(self) -> str:
        return f"{self.group or '?'}:{self.artifact or '?'}:{self.version or '?'}"


@dataclass(frozen=True, slots=True)
class Pom:
    path: str  # POSIX, relative to the tree root
    group: str | None
    artifact: str | None
    version: str | None
    packaging: str | None
    parent: ParentRef | None
    properties: dict[str, str]
    managed: tuple[PomDependency, ...]
    dependencies: tuple[PomDependency, ...]
    modules: tuple[str, ...]

    @property
    def directory(self) -> str:
        return posixpath.dirname(self.path)

    @property
    def group_id(self) -> str | None:
        """groupId, inherited from the parent element when the POM does not state it."""
        return self.group or (self.parent.group if self.parent else None)

    @property
    def version_id(self) -> str | None:
        return self.version or (self.parent.version if self.parent else None)


def _dependencies(node: XmlNode | None, path: str) -> tuple[PomDependency, ...]:
    if node is None:
        return ()
    return tuple(
        PomDependency(
            group=dep.findtext("groupId"),
            artifact=dep.findtext("artifactId"),
            version=dep.findtext("version"),
            scope=dep.findtext("scope"),
            type=dep.findtext("type"),
            classifier=dep.findtext("classifier"),
            optional=dep.findtext("optional"),
            path=path,
            line=dep.line,
        )
        for dep in node.findall("dependency")
    )


def read_pom(data: bytes, path: str) -> Pom:
    """The POM in `data`; ExtractError when it is not XML or not a <project>."""
    root = parse_xml(data)
    if root.tag != "project":
        raise ExtractError(f"root element is <{root.tag}>, not a Maven <project>")
    parent_node = root.find("parent")
    parent = None
    if parent_node is not None:
        relative = parent_node.find("relativePath")
        parent = ParentRef(
            group=parent_node.findtext("groupId"),
            artifact=parent_node.findtext("artifactId"),
            version=parent_node.findtext("version"),
            relative_path=None if relative is None else relative.text,
            line=parent_node.line,
        )
    props = root.find("properties")
    properties = {p.tag: p.text for p in props.children} if props is not None else {}
    modules = root.find("modules")
    return Pom(
        path=path,
        group=root.findtext("groupId"),
        artifact=root.findtext("artifactId"),
        version=root.findtext("version"),
        packaging=root.findtext("packaging"),
        parent=parent,
        properties=properties,
        managed=_dependencies(root.path("dependencyManagement", "dependencies"), path),
        dependencies=_dependencies(root.find("dependencies"), path),
        modules=tuple(m.text for m in modules.findall("module") if m.text)
        if modules is not None
        else (),
    )


def pom_path(directory: str, relative: str) -> str | None:
    """The tree path of a POM named relative to `directory` (a folder means its pom.xml);
    None when it leads above the tree root."""
    joined = posixpath.normpath(posixpath.join(directory or ".", relative.strip()))
    if joined == ".." or joined.startswith("../") or posixpath.isabs(joined):
        return None
    if not joined.endswith(".xml"):
        joined = posixpath.join(joined, "pom.xml")
    return joined.removeprefix("./")
