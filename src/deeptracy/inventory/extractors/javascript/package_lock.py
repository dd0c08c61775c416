"""package-lock.json and npm-shrinkwrap.json (lockfileVersion 1, 2 and 3).

v2 and v3 list every installed folder under `packages`, keyed by its path: "" is the root
project, paths without a `node_modules/` segment are workspace (or linked) folders, and every
`.../node_modules/<name>` is an installed package. v1 nests `dependencies` instead. npm marks
each package `dev`, `optional`, `devOptional` or `peer` when it is not needed at runtime.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from typing import Any

from deeptracy.ecosystems import NPM
from deeptracy.inventory.extractors.javascript.npm import (
    name_from_tarball_url,
    npm_package,
    split_name,
)
from deeptracy.inventory.extractors.javascript.package_json import SECTIONS, read_manifest
from deeptracy.inventory.extractors.support.jsontext import KeyLocator, type_name
from deeptracy.inventory.interface import ExtractError, Extractor, ScanFile
from deeptracy.inventory.model import Package, Scope

_NM = "node_modules/"
_NM_LEN = len(_NM)
_SUPPORTED = (1, 2, 3)


class PackageLockExtractor(Extractor):
    name = "javascript/package-lock"
    ecosystem = NPM
    filenames = frozenset({"package-lock.json", "npm-shrinkwrap.json"})

    def extract(self, file: ScanFile) -> Iterable[Package]:
        text = file.text()
        data = file.json()
        if not isinstance(data, dict):
            raise ExtractError(f"top level is {type_name(data)}, not an object")
        version = data.get("lockfileVersion")
        packages = data.get("packages")
        if version is None:  # very old files; the shape tells
            version = 2 if packages is not None else 1
        if type(version) is not int or version not in _SUPPORTED:
            raise ExtractError(f"unsupported lockfileVersion {version!r} (supported: 1, 2, 3)")
        if version >= 2 and packages is not None:
            if not isinstance(packages, dict):
                raise ExtractError(f"'packages' is {type_name(packages)}, not an object")
            return _from_packages(file, packages, KeyLocator(text))
        deps = data.get("dependencies", {})
        if not isinstance(deps, dict):
            raise ExtractError(f"'dependencies' is {type_name(deps)}, not an object")
        return _from_v1(file, deps, KeyLocator(text))


def _scope(entry: dict[str, Any]) -> Scope | None:
    if entry.get("dev") is True:
        return Scope.DEV
    if entry.get("optional") is True or entry.get("devOptional") is True:
        return Scope.OPTIONAL  # devOptional: dev, and optional for the runtime tree
    if entry.get("peer") is True:
        return Scope.PEER
    return None


def _declared_names(entry: object) -> set[str]:
    names: set[str] = set()
    if isinstance(entry, dict):
        for section, _ in SECTIONS:
            deps = entry.get(section)
            if isinstance(deps, dict):
                names.update(deps)
    return names


def _direct_keys(packages: dict[str, Any]) -> set[str]:
    """Keys of the packages the root project and its workspaces depend on themselves.

    Each declared dependency is looked up the way Node resolves it: in the folder's own
    node_modules, then in each parent folder's.
    """
    direct: set[str] = set()
    for folder, entry in packages.items():
        if _NM in folder:
            continue
        for dep in _declared_names(entry):
            here = folder
            while True:
                key = f"{here}/{_NM}{dep}" if here else f"{_NM}{dep}"
                if key in packages:
                    direct.add(key)
                    break
                if not here:
                    break
                here = posixpath.dirname(here)
    return direct


def _from_packages(file: ScanFile, packages: dict[str, Any], loc: KeyLocator) -> list[Package]:
    direct_keys = _direct_keys(packages)
    path = file.path
    out: list[Package] = []
    for key, entry in packages.items():
        cut = key.rfind(_NM)
        if cut < 0:
            continue  # the root project, a workspace or a linked folder: not a dependency
        line = loc.line_of(key)  # a key of `packages` only ever appears as that key
        if type(entry) is not dict:
            file.warn(f"packages[{key!r}] is {type_name(entry)}, not an object; skipped", line)
            continue
        if entry.get("link") is True:
            continue  # a symlink to a folder entry (workspace or local package)
        name = key[cut + _NM_LEN :]
        version = entry.get("version")
        if type(version) is not str:
            if version is None and (entry.get("optional") or entry.get("peer")):
                continue  # an optional or peer dependency that is not installed
            file.warn(
                f"packages[{key!r}]: version is {type_name(version)}, not a string; skipped", line
            )
            continue
        real = entry.get("name")
        resolved = entry.get("resolved")
        note = None
        if type(resolved) is str and not resolved.startswith(("https://", "http://")):
            note = f"not from the registry: {resolved}"
        elif type(resolved) is str:
            if "/-/" not in resolved:
                note = f"not from the registry: {resolved}"
            elif type(real) is not str and not resolved.endswith(
                f"/{name.rpartition('/')[2]}-{version}.tgz"
            ):
                real = name_from_tarball_url(resolved)  # an alias written without "name"
        if type(real) is not str or not real:
            real = name
        out.append(
            npm_package(
                real,
                None if note else version,
                path=path,
                line=line,
                direct=key in direct_keys,
                scope=_scope(entry),
                note=f"{note} (version {version} in the lockfile)" if note else None,
            )
        )
    return out


def _v1_version(name: str, version: str) -> tuple[str, str | None, str | None] | None:
    """(name, exact version, note) of a v1 `version` field, which is a specifier; None for a
    local folder (npm links it)."""
    if version.startswith("npm:"):  # an alias: "npm:real-name@1.2.3"
        real, exact = split_name(version[4:])
        return real, exact, None
    if version.startswith("file:") and not version.endswith((".tgz", ".tar.gz", ".tar")):
        return None
    if ":" in version or "/" in version:  # git, tarball URL or file
        return name, None, f"not from the registry: {version}"
    return name, version, None


def _from_v1(file: ScanFile, deps: dict[str, Any], loc: KeyLocator) -> list[Package]:
    manifest = read_manifest(file)
    top_names = manifest.names() if manifest else None
    out: list[Package] = []
    # Depth-first in file order, so that the locator only moves forward; explicit stacks, so
    # that a deeply nested hostile file cannot exhaust the interpreter's recursion.
    iterators = [iter(deps.items())]
    parents = [""]
    while iterators:
        item = next(iterators[-1], None)
        if item is None:
            iterators.pop()
            parents.pop()
            continue
        name, entry = item
        where = f"{parents[-1]}dependencies[{name!r}]"
        line = loc.line_of(name, "{")
        if not isinstance(entry, dict):
            file.warn(f"{where} is {type_name(entry)}, not an object; skipped", line)
            continue
        version = entry.get("version")
        if not isinstance(version, str):
            file.warn(f"{where}: version is {type_name(version)}, not a string; skipped", line)
        elif (identity := _v1_version(name, version)) is not None:
            real, exact, note = identity
            if len(parents) > 1:
                direct: bool | None = False  # nested below another package
            else:
                direct = name in top_names if top_names is not None else None
            out.append(
                npm_package(
                    real,
                    exact,
                    path=file.path,
                    line=line,
                    direct=direct,
                    scope=_scope(entry),
                    note=note,
                )
            )
        nested = entry.get("dependencies")
        if isinstance(nested, dict) and nested:
            iterators.append(iter(nested.items()))
            parents.append(f"{where}.")
    return out
