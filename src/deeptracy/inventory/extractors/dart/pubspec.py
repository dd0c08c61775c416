"""pubspec.lock: the packages pub resolved for a Dart or Flutter package.

`dependency` says "direct main", "direct dev" (Scope.DEV), "direct overridden" or
"transitive". Packages from the SDK (flutter, flutter_test, sky_engine) ship with the SDK
and are not pub packages. `git` and `path` packages are not pub.dev releases: no version,
a note with the source. Packages hosted on another server keep their version with a note.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from deeptracy.ecosystems import PUB
from deeptracy.inventory.extractors.shapes import as_object, kind_of, load_yaml, opt_object, opt_str
from deeptracy.inventory.interface import Extractor, ScanFile
from deeptracy.inventory.model import Location, Package, Scope

_PUB_DEV = ("https://pub.dev", "https://pub.dartlang.org")


class PubspecLockExtractor(Extractor):
    name = "dart/pubspec-lock"
    ecosystem = PUB
    filenames: ClassVar[frozenset[str]] = frozenset({"pubspec.lock"})

    def extract(self, file: ScanFile) -> Iterable[Package]:
        data = as_object(load_yaml(file), "the document")
        packages = as_object(data.get("packages") or {}, "'packages'")
        for name, entry in packages.items():
            if not isinstance(entry, dict):
                file.warn(f"package {name!r} is {kind_of(entry)}, not a mapping")
                continue
            pkg = _package(file, str(name), entry)
            if pkg is not None:
                yield pkg


def _package(file: ScanFile, name: str, entry: dict[str, Any]) -> Package | None:
    source = opt_str(entry.get("source"))
    if source == "sdk":
        return None
    version = entry.get("version")
    if not isinstance(version, str) or not version.strip():
        file.warn(f"package {name!r} has no version string")
        return None
    version = version.strip()
    relation = opt_str(entry.get("dependency")) or ""
    described = entry.get("description")
    description = opt_object(described)
    note = None
    if source == "git":
        url = opt_str(description.get("url")) or "?"
        ref = opt_str(description.get("resolved-ref")) or opt_str(description.get("ref")) or "?"
        note, version = f"git {url} at {ref} (package version {version})", None
    elif source == "path":
        path = opt_str(description.get("path")) or opt_str(described) or "?"
        note, version = f"local path {path} (package version {version})", None
    elif source == "hosted":
        url = (opt_str(description.get("url")) or _PUB_DEV[0]).rstrip("/")
        if url not in _PUB_DEV:
            note = f"hosted on {url}"
    else:
        file.warn(f"package {name!r} has an unknown source {source!r}")
        return None
    return Package(
        PUB,
        name,
        version,
        direct=relation.startswith("direct") if relation else None,
        scope=Scope.DEV if relation == "direct dev" else None,
        locations=(Location(file.path),),
        note=note,
    )
