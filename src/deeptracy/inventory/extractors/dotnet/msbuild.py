"""SDK-style .NET projects (*.csproj, *.fsproj, *.vbproj): <PackageReference> items.

A project file is a manifest: packages.lock.json in the same directory supersedes it. NuGet
reads a PackageReference Version as a range:

- a bare version "1.2.3" is a minimum (>= 1.2.3; restore picks the lowest available version
  at or above it), reported as declared "[1.2.3, )", the interval NuGet itself writes in
  packages.lock.json's "requested", and no exact version;
- "[1.2.3]" pins exactly: version 1.2.3;
- intervals ("[1.0,2.0)") and floating versions ("1.*") stay declared as written.

Versions may come from MSBuild properties ($(Name)) of the project or of the Central Package
Management file: the nearest Directory.Packages.props at or above the project, used when it
enables ManagePackageVersionsCentrally. Its PackageVersion items give versions to references
without one (VersionOverride wins), and its GlobalPackageReference items are references of
every project. `Update=` changes a reference included elsewhere (an imported file or the
SDK); `Remove=` drops one. PrivateAssets="all" marks a development-only reference
(Scope.DEV); GlobalPackageReference items are private by definition.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from deeptracy.ecosystems import NUGET
from deeptracy.inventory.extractors.xmltree import XmlNode, parse_xml
from deeptracy.inventory.interface import ExtractError, Extractor, FileKind, ScanFile
from deeptracy.inventory.model import Location, Package, Scope

CPM_FILE = "Directory.Packages.props"
_PROPERTY = re.compile(r"\$\(\s*([A-Za-z_][\w.-]*)\s*\)")
_EXACT = re.compile(r"\[\s*([^,\s\[\]()]+)\s*\]")
_MAX_LENGTH = 1024


def metadata(node: XmlNode, name: str) -> str | None:
    """MSBuild item metadata, as an attribute or a child element (names ignore case)."""
    value = node.attr(name, ignore_case=True)
    if value is None:
        child = next((c for c in node.children if c.tag.lower() == name.lower()), None)
        value = child.text if child is not None else None
    return value.strip() if value and value.strip() else None


def properties(root: XmlNode) -> dict[str, str]:
    """The PropertyGroup values of a project (MSBuild names ignore case; the last one wins)."""
    values: dict[str, str] = {}
    for group in root.iter("PropertyGroup"):
        for prop in group.children:
            values[prop.tag.lower()] = prop.text
    return values


def expand(text: str, props: Mapping[str, str]) -> tuple[str | None, str | None]:
    """(value, problem) of a text with $(Property) references."""
    for _ in range(16):  # properties defined through other properties, bounded
        match = _PROPERTY.search(text)
        if match is None:
            return text, None
        value = props.get(match.group(1).lower())
        if value is None:
            return None, f"property $({match.group(1)}) is not defined in the project files read"
        text = text[: match.start()] + value + text[match.end() :]
        if len(text) > _MAX_LENGTH:
            return None, f"longer than {_MAX_LENGTH} characters once expanded"
    return None, "properties nested too deeply"


def classify(version: str) -> tuple[str | None, str]:
    """(exact version, declared range) of a NuGet version text."""
    if version.startswith(("[", "(")):
        exact = _EXACT.fullmatch(version)
        return (exact.group(1) if exact else None), version
    if "*" in version:
        return None, version
    return None, f"[{version}, )"


@dataclass
class _Reference:
    name: str
    version: str | None
    override: str | None
    private: bool
    locations: list[Location]
    note: str | None = None


@dataclass
class _Central:
    path: str
    enabled: bool
    props: dict[str, str]
    versions: dict[str, tuple[str, int]] = field(default_factory=dict)  # lower name -> text, line
    globals: list[tuple[str, str | None, int]] = field(default_factory=list)


def _central(file: ScanFile) -> _Central | None:
    """The nearest Directory.Packages.props at or above the project, if the tree has one."""
    if file.read_sibling is None:
        return None
    directory = file.directory
    while True:
        path = posixpath.join(directory, CPM_FILE) if directory else CPM_FILE
        try:
            data = file.read_sibling(path)
        except ExtractError:
            data = None
        if data is not None:
            try:
                root = parse_xml(data)
            except ExtractError as exc:
                file.warn(f"{CPM_FILE} not used: {exc}", path=path)
                return None
            props = properties(root)
            central = _Central(
                path, props.get("managepackageversionscentrally", "").lower() == "true", props
            )
            for node in root.iter("PackageVersion"):
                name, version = metadata(node, "Include"), metadata(node, "Version")
                if name and version:
                    central.versions[name.lower()] = (version, node.line)
            for node in root.iter("GlobalPackageReference"):
                name = metadata(node, "Include")
                if name:
                    central.globals.append((name, metadata(node, "Version"), node.line))
            return central
        if not directory:
            return None
        directory = posixpath.dirname(directory)


class MsBuildProjectExtractor(Extractor):
    name = "dotnet/msbuild-project"
    ecosystem = NUGET
    kind = FileKind.MANIFEST
    patterns: ClassVar[tuple[str, ...]] = ("*.csproj", "*.fsproj", "*.vbproj")
    superseded_by: ClassVar[frozenset[str]] = frozenset({"packages.lock.json"})

    def extract(self, file: ScanFile) -> Iterable[Package]:
        root = parse_xml(file.data)
        if root.tag != "Project":
            raise ExtractError(f"root element is <{root.tag}>, not an MSBuild <Project>")
        own = properties(root)
        central = _central(file)
        enabled = central is not None and (
            central.enabled or own.get("managepackageversionscentrally", "").lower() == "true"
        )
        props = {**(central.props if central else {}), **own}  # the project's own win
        references = _references(file, root)
        for ref in references.values():
            text = ref.override if enabled and ref.override else ref.version
            locations = list(ref.locations)
            if text is None and enabled and central and ref.name.lower() in central.versions:
                text, line = central.versions[ref.name.lower()]
                locations.append(Location(central.path, line))
            yield _package(ref.name, text, props, ref.private, tuple(locations), ref.note)
        if enabled and central is not None:
            for name, version, line in central.globals:
                here = (Location(file.path), Location(central.path, line))
                yield _package(name, version, props, True, here, None)


def _references(file: ScanFile, root: XmlNode) -> dict[str, _Reference]:
    references: dict[str, _Reference] = {}
    for node in root.iter("PackageReference"):
        here = Location(file.path, node.line)
        version, override = metadata(node, "Version"), metadata(node, "VersionOverride")
        private = (metadata(node, "PrivateAssets") or "").lower() == "all"
        include, update, remove = (metadata(node, a) for a in ("Include", "Update", "Remove"))
        for name in _names(include):
            references[name.lower()] = _Reference(name, version, override, private, [here])
        for name in _names(update):
            ref = references.get(name.lower())
            if ref is None:
                note = "Update of a reference included elsewhere (an imported file or the SDK)"
                references[name.lower()] = _Reference(
                    name, version, override, private, [here], note
                )
                continue
            ref.version = version or ref.version
            ref.override = override or ref.override
            ref.private = private or ref.private
            ref.locations.append(here)
        for name in _names(remove):
            references.pop(name.lower(), None)
        if not (include or update or remove):
            file.warn("<PackageReference> without Include, Update or Remove", line=node.line)
    return references


def _names(items: str | None) -> list[str]:
    return [n.strip() for n in (items or "").split(";") if n.strip()]


def _package(
    name: str,
    text: str | None,
    props: Mapping[str, str],
    private: bool,
    locations: tuple[Location, ...],
    note: str | None,
) -> Package:
    version: str | None = None
    declared: str | None = None
    if text is None:
        problem = "no version: not in the project, nor in a Directory.Packages.props of the tree"
        note = f"{note}; {problem}" if note else problem
    else:
        value, why = expand(text, props)
        if value is None or not value.strip():
            problem = f"version {text!r} unresolved: {why or 'empty'}"
            note = f"{note}; {problem}" if note else problem
        else:
            version, declared = classify(value.strip())
    return Package(
        NUGET,
        name,
        version,
        declared=declared,
        direct=True,
        scope=Scope.DEV if private else None,
        locations=locations,
        note=note,
    )
