"""packages.lock.json: NuGet's lockfile, one resolved graph per target framework.

`Direct` entries are the project's PackageReferences, `Transitive` and `CentralTransitive`
(pinned by Central Package Management) are transitive, `Project` entries are other projects
of the solution, not packages. A package locked for several target frameworks is reported
once per version; it is direct when any framework references it directly.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from deeptracy.ecosystems import NUGET
from deeptracy.inventory.extractors.shapes import as_object, kind_of, opt_str
from deeptracy.inventory.interface import Extractor, ScanFile
from deeptracy.inventory.model import Location, Package

_KNOWN_TYPES = frozenset({"Direct", "Transitive", "CentralTransitive", "Project"})


class PackagesLockExtractor(Extractor):
    name = "dotnet/packages-lock"
    ecosystem = NUGET
    filenames: ClassVar[frozenset[str]] = frozenset({"packages.lock.json"})

    def extract(self, file: ScanFile) -> Iterable[Package]:
        data = as_object(file.json(), "the document")
        frameworks = as_object(data.get("dependencies"), "'dependencies'")
        found: dict[tuple[str, str], Package] = {}
        for framework, packages in frameworks.items():
            if not isinstance(packages, dict):
                file.warn(f"dependencies of {framework!r} are {kind_of(packages)}, not an object")
                continue
            for name, entry in packages.items():
                where = f"{framework} > {name}"
                if not isinstance(entry, dict):
                    file.warn(f"{where} is {kind_of(entry)}, not an object")
                    continue
                kind = opt_str(entry.get("type"))
                if kind == "Project":
                    continue
                if kind not in _KNOWN_TYPES:
                    file.warn(f"{where} has an unknown type {kind!r}")
                resolved = opt_str(entry.get("resolved"))
                if resolved is None:
                    file.warn(f"{where} has no resolved version")
                    continue
                key = (str(name).lower(), resolved.lower())
                direct = kind == "Direct"
                prior = found.get(key)
                if prior is None or (direct and not prior.direct):
                    found[key] = Package(
                        NUGET, str(name), resolved, direct=direct, locations=(Location(file.path),)
                    )
        return list(found.values())
