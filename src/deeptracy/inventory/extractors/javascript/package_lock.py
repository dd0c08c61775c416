"""package-lock.json and npm-shrinkwrap.json (lockfileVersion 1, 2 and 3).

v2 and v3 list every installed folder under `packages`, keyed by its path: "" is the root
project, paths without a `node_modules/` segment are workspace (or linked) folders, and every
`.../node_modules/<name>` is an installed package. v1 nests `dependencies` instead. npm marks
each package `dev`, `optional`, `devOptional` or `peer` when it is not needed at runtime.

The largest lockfiles of all are read in two steps: msgspec decodes `packages` into small
typed records, skipping every field not read here (integrity, engines, dependency maps of
packages...) instead of building them, and the common entry (a registry tarball under its
own name) is handled column by column. Any other shape goes through the standard `json`
module and is read entry by entry, with a precise message for whatever is wrong.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Iterable, Iterator
from itertools import compress, product, repeat
from operator import attrgetter, ge, is_
from typing import Any

import msgspec

from deeptracy.ecosystems import NPM
from deeptracy.inventory.extractors.javascript.npm import (
    name_from_tarball_url,
    npm_package,
    npm_purls,
    split_name,
)
from deeptracy.inventory.extractors.javascript.package_json import SECTIONS, read_manifest
from deeptracy.inventory.extractors.support.jsontext import KeyLocator, type_name
from deeptracy.inventory.extractors.support.packages import build_packages
from deeptracy.inventory.interface import ExtractError, Extractor, ScanFile
from deeptracy.inventory.model import Package, Scope

_NM = "node_modules/"
_SUPPORTED = (1, 2, 3)


class _Entry(msgspec.Struct):
    """The fields of a `packages` entry this extractor reads; the others are skipped by the
    decoder. Values keep any JSON type (checked below); dependency maps stay raw text,
    decoded only for the root and workspace entries."""

    version: Any = None
    resolved: Any = None
    name: Any = None
    link: Any = None
    dev: Any = None
    optional: Any = None
    dev_optional: Any = msgspec.field(default=None, name="devOptional")
    peer: Any = None
    dependencies: msgspec.Raw = msgspec.field(default_factory=msgspec.Raw)
    dev_dependencies: msgspec.Raw = msgspec.field(
        default_factory=msgspec.Raw, name="devDependencies"
    )
    optional_dependencies: msgspec.Raw = msgspec.field(
        default_factory=msgspec.Raw, name="optionalDependencies"
    )
    peer_dependencies: msgspec.Raw = msgspec.field(
        default_factory=msgspec.Raw, name="peerDependencies"
    )


class _Lock(msgspec.Struct):
    lockfile_version: Any = msgspec.field(default=None, name="lockfileVersion")
    packages: dict[str, _Entry] | None = None


_DECODER = msgspec.json.Decoder(_Lock)
_RAW_SECTIONS = ("dependencies", "dev_dependencies", "optional_dependencies", "peer_dependencies")
_FLAGS = ("dev", "optional", "dev_optional", "peer")


class PackageLockExtractor(Extractor):
    name = "javascript/package-lock"
    ecosystem = NPM
    filenames = frozenset({"package-lock.json", "npm-shrinkwrap.json"})

    def extract(self, file: ScanFile) -> Iterable[Package]:
        text = file.text()
        try:
            lock = _DECODER.decode(text)
        except (msgspec.DecodeError, RecursionError):
            lock = None  # not the usual shape, or not JSON: the standard module says which
        if (
            lock is not None
            and lock.packages is not None
            and type(lock.lockfile_version) is int
            and lock.lockfile_version in (2, 3)
        ):
            return _from_records(file, lock.packages)
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ExtractError(
                f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
            ) from None
        except RecursionError:
            raise ExtractError("JSON nested too deeply to be read") from None
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
            return _from_dicts(file, packages)
        deps = data.get("dependencies", {})
        if not isinstance(deps, dict):
            raise ExtractError(f"'dependencies' is {type_name(deps)}, not an object")
        return _from_v1(file, deps, KeyLocator(text))


def _direct_keys(keys: Iterable[str], declared: dict[str, set[str]]) -> set[str]:
    """Keys of the packages the root project and its workspaces depend on themselves.

    `declared` maps each folder ("" for the root) to the names it declares; each one is
    looked up the way Node resolves it: in the folder's own node_modules, then in each
    parent folder's.
    """
    present = set(keys)
    direct: set[str] = set()
    for folder, names in declared.items():
        for dep in names:
            here = folder
            while True:
                key = f"{here}/{_NM}{dep}" if here else f"{_NM}{dep}"
                if key in present:
                    direct.add(key)
                    break
                if not here:
                    break
                here = posixpath.dirname(here)
    return direct


def _declared_in_dict(entry: object) -> set[str]:
    names: set[str] = set()
    if isinstance(entry, dict):
        for section, _ in SECTIONS:
            deps = entry.get(section)
            if isinstance(deps, dict):
                names.update(deps)
    return names


def _declared_in_record(entry: _Entry) -> set[str]:
    names: set[str] = set()
    for field in _RAW_SECTIONS:
        raw: msgspec.Raw = getattr(entry, field)
        if raw:
            try:
                deps = msgspec.json.decode(raw)
            except msgspec.DecodeError:
                continue
            if isinstance(deps, dict):
                names.update(deps)
    return names


def _scope_of_flags(
    dev: object, optional: object, dev_optional: object, peer: object
) -> Scope | None:
    if dev is True:
        return Scope.DEV
    if optional is True or dev_optional is True:
        return Scope.OPTIONAL  # devOptional: dev, and optional for the runtime tree
    if peer is True:
        return Scope.PEER
    return None


# Every combination npm writes (true, or absent) and false, mapped once.
_SCOPE_OF_FLAGS = {
    flags: _scope_of_flags(*flags) for flags in product((True, False, None), repeat=len(_FLAGS))
}
_UNKNOWN: Any = object()


def _from_records(file: ScanFile, packages: dict[str, _Entry]) -> list[Package]:
    """Packages of a decoded `packages` map, column by column.

    Each step is a C loop over all entries (`map` over attribute getters, str methods, a
    table of flag combinations): no Python code runs per entry for the common case. An entry
    that is anything else (link, git or file source, alias, odd types) is read on its own by
    `_irregular`. Lines are not located: finding them would cost a third of the parse.
    """
    keys = [key for key in packages if _NM in key]  # others: the root, workspaces, links
    direct_keys = _direct_keys(
        keys,
        {k: _declared_in_record(e) for k, e in packages.items() if _NM not in k},
    )
    entries = list(map(packages.__getitem__, keys))
    names = [key.rpartition(_NM)[2] for key in keys]
    versions: list[Any] = list(map(attrgetter("version"), entries))
    resolved: list[Any] = list(map(attrgetter("resolved"), entries))
    if not all(map(isinstance, resolved, repeat(str))):
        resolved = list(map(str, resolved))  # None -> "None": not a registry URL
    tarballs = list(map(str.find, resolved, repeat("/-/")))
    # Usually every entry passes every check: `all` over each check alone avoids building
    # the per-entry mask, which is only computed when something is irregular.
    if all(map(all, _regular_checks(names, entries, versions, resolved, tarballs))):
        irregular: list[Package] = []
    else:
        regular = list(
            map(
                all,
                zip(*_regular_checks(names, entries, versions, resolved, tarballs), strict=True),
            )
        )
        odd = [not ok for ok in regular]
        irregular = _irregular_packages(
            file,
            list(compress(keys, odd)),
            [_as_dict(e) for e in compress(entries, odd)],
            direct_keys,
        )
        keys, entries = list(compress(keys, regular)), list(compress(entries, regular))
        names, versions = list(compress(names, regular)), list(compress(versions, regular))
    scopes = list(map(_SCOPE_OF_FLAGS.get, map(attrgetter(*_FLAGS), entries), repeat(_UNKNOWN)))
    if any(map(is_, scopes, repeat(_UNKNOWN))):  # flags of other types than npm writes
        scopes = [_scope_of_flags(*attrgetter(*_FLAGS)(entry)) for entry in entries]
    directs = list(map(direct_keys.__contains__, keys))
    purls = npm_purls(names, versions)
    regular_packages = build_packages(
        NPM, file.path, names, versions, directs, scopes, None, repeat(None, len(names)), purls
    )
    return regular_packages + irregular


def _regular_checks(
    names: list[str],
    entries: list[_Entry],
    versions: list[Any],
    resolved: list[str],
    tarballs: list[int],
) -> list[Iterator[bool]]:
    """Per-entry conditions of the common case, as lazy C loops: a string version, an http(s)
    registry tarball URL (`<registry>/<name>/-/<file>`) under the entry's own name, and no
    alias. An entry that fails any of them is read by `_irregular`, which decides exactly."""
    return [
        map(isinstance, versions, repeat(str)),
        map(str.startswith, resolved, repeat(("https://", "http://"))),
        map(ge, tarballs, repeat(0)),
        map(str.endswith, resolved, names, repeat(0), tarballs),
        map(is_, map(attrgetter("name"), entries), repeat(None)),
    ]


def _as_dict(entry: _Entry) -> dict[str, Any]:
    """A decoded record as the JSON object it was read from (its fields that are read)."""
    return {
        "version": entry.version,
        "resolved": entry.resolved,
        "name": entry.name,
        "link": entry.link,
        "dev": entry.dev,
        "optional": entry.optional,
        "devOptional": entry.dev_optional,
        "peer": entry.peer,
    }


def _from_dicts(file: ScanFile, packages: dict[str, Any]) -> list[Package]:
    """Packages of a `packages` map that the typed decoder refused: entry by entry."""
    keys = [key for key in packages if _NM in key]
    direct_keys = _direct_keys(
        keys, {k: _declared_in_dict(e) for k, e in packages.items() if _NM not in k}
    )
    return _irregular_packages(file, keys, [packages[k] for k in keys], direct_keys)


def _irregular_packages(
    file: ScanFile, keys: list[str], entries: list[Any], direct_keys: set[str]
) -> list[Package]:
    out = []
    for key, entry in zip(keys, entries, strict=True):
        pkg = _irregular(file, key, entry, key in direct_keys)
        if pkg is not None:
            out.append(pkg)
    return out


def _irregular(file: ScanFile, key: str, entry: object, direct: bool) -> Package | None:
    """One entry read on its own (not a plain registry package, or not well formed)."""
    if not isinstance(entry, dict):
        file.warn(f"packages[{key!r}] is {type_name(entry)}, not an object; skipped")
        return None
    version = entry.get("version")
    if not isinstance(version, str):
        if entry.get("link") is True:
            return None  # a symlink to a folder entry (workspace or local package)
        if version is None and (entry.get("optional") or entry.get("peer")):
            return None  # an optional or peer dependency that is not installed
        file.warn(f"packages[{key!r}]: version is {type_name(version)}, not a string; skipped")
        return None
    name = key.rpartition(_NM)[2]
    real = entry.get("name")
    resolved = entry.get("resolved")
    flags = (entry.get("dev"), entry.get("optional"), entry.get("devOptional"), entry.get("peer"))
    note = None
    if isinstance(resolved, str):
        if "/-/" not in resolved or not resolved.startswith(("https://", "http://")):
            note = f"not from the registry: {resolved} (version {version} in the lockfile)"
        elif real is None and f"/{name}/-/" not in resolved:
            real = name_from_tarball_url(resolved)  # an alias written without "name"
    if not isinstance(real, str) or not real:
        real = name
    return npm_package(
        real,
        None if note else version,
        path=file.path,
        line=None,
        direct=direct,
        scope=_scope_of_flags(*flags),
        note=note,
    )


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
                    scope=_scope_of_flags(
                        entry.get("dev"),
                        entry.get("optional"),
                        entry.get("devOptional"),
                        entry.get("peer"),
                    ),
                    note=note,
                )
            )
        nested = entry.get("dependencies")
        if isinstance(nested, dict) and nested:
            iterators.append(iter(nested.items()))
            parents.append(f"{where}.")
    return out
