"""Package.resolved (format 1, 2 and 3): the pins of Swift Package Manager.

Format 1 lists `object.pins` with `repositoryURL`; formats 2 and 3 list `pins` with
`location` and `kind`. A package is named by its repository URL, normalized as OSV's SwiftURL
names are (no scheme, no `.git`, lower case: ecosystems.normalize_name), with
`state.version`. A pin on a branch or a bare revision is no release: no version, a note.
Local packages (`localSourceControl`) are not registry packages; registry pins
(`scope.name` identities) cannot be named as SwiftURL and are reported as warnings.
Package.resolved does not say which packages are direct.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from deeptracy.ecosystems import SWIFT, normalize_name
from deeptracy.inventory.extractors.shapes import as_array, as_object, kind_of, opt_object, opt_str
from deeptracy.inventory.interface import ExtractError, Extractor, ScanFile
from deeptracy.inventory.model import Location, Package


class PackageResolvedExtractor(Extractor):
    name = "swift/package-resolved"
    ecosystem = SWIFT
    filenames: ClassVar[frozenset[str]] = frozenset({"Package.resolved"})

    def extract(self, file: ScanFile) -> Iterable[Package]:
        data = as_object(file.json(), "the document")
        if "pins" in data:
            pins, url_key = as_array(data["pins"], "'pins'"), "location"
        elif "object" in data:
            pins = as_array(as_object(data["object"], "'object'").get("pins"), "'object.pins'")
            url_key = "repositoryURL"
        else:
            raise ExtractError("no 'pins' (format 2, 3) nor 'object.pins' (format 1)")
        for index, pin in enumerate(pins):
            if not isinstance(pin, dict):
                file.warn(f"pin #{index + 1} is {kind_of(pin)}, not an object")
                continue
            pkg = _package(file, pin, url_key, index)
            if pkg is not None:
                yield pkg


def _package(file: ScanFile, pin: dict[str, Any], url_key: str, index: int) -> Package | None:
    identity = opt_str(pin.get("identity")) or opt_str(pin.get("package")) or f"#{index + 1}"
    kind = opt_str(pin.get("kind"))
    url = opt_str(pin.get(url_key))
    if kind == "registry":
        file.warn(
            f"pin {identity!r} comes from a package registry: not matched (SwiftURL "
            "advisories name repository URLs)"
        )
        return None
    if url is None:
        file.warn(f"pin {identity!r} has no {url_key}")
        return None
    state = opt_object(pin.get("state"))
    version = opt_str(state.get("version"))
    note = None
    if kind == "localSourceControl":
        note, version = f"local repository {url}", None
    elif version is None:
        branch, revision = opt_str(state.get("branch")), opt_str(state.get("revision")) or "?"
        note = f"branch {branch} at {revision}" if branch else f"revision {revision}"
    return Package(
        SWIFT, normalize_name(SWIFT, url), version, locations=(Location(file.path),), note=note
    )
