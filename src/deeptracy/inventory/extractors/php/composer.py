"""composer.lock: the packages Composer installed, `packages` and `packages-dev` (Scope.DEV).

Versions are kept as written ("v5.4.20" stays "v5.4.20"): that is the Packagist release
name, the purl's version, and OSV's Packagist ordering itself drops a leading 'v' when it
compares. Branch versions ("dev-main", "2.x-dev") are not releases: no version, a note with
the commit. Packages from a `path` repository are local code, also without a version.

composer.lock does not say which packages are direct; composer.json beside it does
(`require` and `require-dev`), and is read when present. Platform requirements (php, ext-*)
are not packages.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, ClassVar

from deeptracy.ecosystems import PACKAGIST
from deeptracy.inventory.extractors.shapes import as_array, as_object, kind_of, opt_object, opt_str
from deeptracy.inventory.interface import ExtractError, Extractor, ScanFile
from deeptracy.inventory.model import Location, Package, Scope


def _manifest_requirements(file: ScanFile) -> set[str] | None:
    """Lower-cased names composer.json requires, or None when it is absent or unreadable."""
    try:
        data = json.loads(file.read("composer.json"))
    except ExtractError:
        return None
    except (ValueError, RecursionError) as exc:
        file.warn(f"composer.json beside it is not valid JSON ({exc}); direct dependencies unknown")
        return None
    if not isinstance(data, dict):
        return None
    names: set[str] = set()
    for section in ("require", "require-dev"):
        names.update(str(name).lower() for name in opt_object(data.get(section)))
    return names


class ComposerLockExtractor(Extractor):
    name = "php/composer-lock"
    ecosystem = PACKAGIST
    filenames: ClassVar[frozenset[str]] = frozenset({"composer.lock"})

    def extract(self, file: ScanFile) -> Iterable[Package]:
        data = as_object(file.json(), "the document")
        if "packages" not in data:
            raise ExtractError("no 'packages' array: not a composer.lock")
        required = _manifest_requirements(file)
        for section, scope in (("packages", None), ("packages-dev", Scope.DEV)):
            entries = as_array(data.get(section) or [], f"'{section}'")
            for index, entry in enumerate(entries):
                where = f"{section}[{index}]"
                if not isinstance(entry, dict):
                    file.warn(f"{where} is {kind_of(entry)}, not an object")
                    continue
                pkg = _package(file, entry, scope, required, where)
                if pkg is not None:
                    yield pkg


def _package(
    file: ScanFile,
    entry: dict[str, Any],
    scope: Scope | None,
    required: set[str] | None,
    where: str,
) -> Package | None:
    name, version = opt_str(entry.get("name")), opt_str(entry.get("version"))
    if name is None or version is None:
        file.warn(f"{where} has no name or version")
        return None
    source, dist = opt_object(entry.get("source")), opt_object(entry.get("dist"))
    note = None
    if "path" in (source.get("type"), dist.get("type")):
        note = f"local path {opt_str(dist.get('url')) or opt_str(source.get('url')) or '?'}"
        note += f" (version {version})"
        version = None
    elif version.startswith("dev-") or version.endswith("-dev"):
        reference = opt_str(source.get("reference")) or opt_str(dist.get("reference")) or "?"
        note = f"development version {version} at {reference}"
        version = None
    return Package(
        PACKAGIST,
        name,
        version,
        direct=(name.lower() in required) if required is not None else None,
        scope=scope,
        locations=(Location(file.path),),
        note=note,
    )
