"""packages.config: the NuGet packages of a project in the pre-PackageReference layout.

It lists every installed package, direct or not, at its exact version; it does not say
which are direct. `developmentDependency="true"` marks a development-only package
(Scope.DEV).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from deeptracy.ecosystems import NUGET
from deeptracy.inventory.extractors.xmltree import parse_xml
from deeptracy.inventory.interface import ExtractError, Extractor, ScanFile
from deeptracy.inventory.model import Location, Package, Scope


class PackagesConfigExtractor(Extractor):
    name = "dotnet/packages-config"
    ecosystem = NUGET
    filenames: ClassVar[frozenset[str]] = frozenset({"packages.config"})

    def extract(self, file: ScanFile) -> Iterable[Package]:
        root = parse_xml(file.data)
        if root.tag != "packages":
            raise ExtractError(f"root element is <{root.tag}>, not <packages>")
        for node in root.findall("package"):
            name = (node.attr("id") or "").strip()
            version = (node.attr("version") or "").strip()
            if not name or not version:
                file.warn("<package> without id or version", line=node.line)
                continue
            dev = (node.attr("developmentDependency") or "").strip().lower() == "true"
            yield Package(
                NUGET,
                name,
                version,
                scope=Scope.DEV if dev else None,
                locations=(Location(file.path, node.line),),
            )
