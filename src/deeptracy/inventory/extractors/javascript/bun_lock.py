"""bun.lock, bun's text lockfile (JSON with trailing commas), lockfileVersion 0 to 2.

`packages` maps an install path ("react", "@types/node", "parent/child" for a copy nested under
"parent") to an array whose first item is "name@resolution": a version for registry packages,
otherwise `workspace:`, `link:`, `file:`, `github:`, a git or tarball URL. `workspaces` holds the
declared dependencies of each workspace (the root is ""), from which direct dependencies and
scopes are derived through the graph.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from deeptracy.ecosystems import NPM
from deeptracy.inventory.extractors.javascript.npm import Collector, split_name
from deeptracy.inventory.extractors.support.graph import scopes
from deeptracy.inventory.extractors.support.jsontext import KeyLocator, loads_jsonc, type_name
from deeptracy.inventory.interface import ExtractError, Extractor, ScanFile
from deeptracy.inventory.model import Package, Scope

_SUPPORTED = (0, 1, 2)  # 2 only adds checks at install time; the content is that of 1
_ROOT_SECTIONS: tuple[tuple[str, Scope | None], ...] = (
    ("dependencies", None),
    ("optionalDependencies", Scope.OPTIONAL),
    ("peerDependencies", Scope.PEER),
    ("devDependencies", Scope.DEV),
)
_LOCAL = ("workspace:", "link:", "root:")


def _segments(path: str) -> list[str]:
    """Package names along an install path: "@s/a/b" -> ["@s/a", "b"]."""
    out: list[str] = []
    parts = path.split("/")
    i = 0
    while i < len(parts):
        if parts[i].startswith("@") and i + 1 < len(parts):
            out.append(f"{parts[i]}/{parts[i + 1]}")
            i += 2
        else:
            out.append(parts[i])
            i += 1
    return out


class BunLockExtractor(Extractor):
    name = "javascript/bun-lock"
    ecosystem = NPM
    filenames = frozenset({"bun.lock"})

    def extract(self, file: ScanFile) -> Iterable[Package]:
        text = file.text()
        data = loads_jsonc(text)
        if not isinstance(data, dict):
            raise ExtractError(f"top level is {type_name(data)}, not an object")
        version = data.get("lockfileVersion")
        if type(version) is not int or version not in _SUPPORTED:
            raise ExtractError(f"unsupported lockfileVersion {version!r} (supported: 0, 1, 2)")
        workspaces = data.get("workspaces", {})
        packages = data.get("packages", {})
        for key, value in (("workspaces", workspaces), ("packages", packages)):
            if not isinstance(value, dict):
                raise ExtractError(f"'{key}' is {type_name(value)}, not an object")
        return _Reader(file, packages).read(workspaces, KeyLocator(text))


class _Reader:
    def __init__(self, file: ScanFile, packages: dict[str, Any]) -> None:
        self.file = file
        self.packages = packages

    def resolve(self, parent: list[str], dep: str) -> str | None:
        """The key a dependency of the package at `parent` is installed at, searched the way
        Node does: nested under the parent first, then under each ancestor."""
        for depth in range(len(parent), -1, -1):
            key = "/".join([*parent[:depth], dep])
            if key in self.packages:
                return key
        return None

    def info(self, key: str) -> dict[str, Any]:
        value = self.packages.get(key)
        if isinstance(value, list):
            for item in value[1:3]:
                if isinstance(item, dict):
                    return item
        return {}

    def edges(self, key: str) -> Iterator[tuple[str, Scope | None]]:
        info = self.info(key)
        parent = _segments(key)
        optional_peers = info.get("optionalPeers")
        skip = set(optional_peers) if isinstance(optional_peers, list) else set()
        for section, edge in (
            ("dependencies", None),
            ("optionalDependencies", Scope.OPTIONAL),
            ("peerDependencies", Scope.PEER),
        ):
            deps = info.get(section)
            if isinstance(deps, dict):
                for dep in deps:
                    child = self.resolve(parent, dep) if dep not in skip else None
                    if child is not None:
                        yield child, edge

    def read(self, workspaces: dict[str, Any], loc: KeyLocator) -> list[Package]:
        roots: list[tuple[str, Scope | None]] = []
        for folder, entry in workspaces.items():
            if not isinstance(entry, dict):
                self.file.warn(f"workspaces[{folder!r}] is {type_name(entry)}; ignored")
                continue
            name = entry.get("name")
            parent = [name] if folder and isinstance(name, str) else []
            for section, scope in _ROOT_SECTIONS:
                deps = entry.get(section)
                if isinstance(deps, dict):
                    for dep in deps:
                        node = self.resolve(parent, dep)
                        if node is not None:
                            roots.append((node, scope))
        direct = {node for node, _ in roots}
        known = bool(workspaces)  # without them, what is direct is not known
        scope_of = scopes(roots, self.edges)
        collector = Collector(self.file.path)
        loc.line_of("packages", "{")
        for key, value in self.packages.items():
            line = loc.line_of(key, "[")
            ident = value[0] if isinstance(value, list) and value else None
            if not isinstance(ident, str):
                self.file.warn(f"packages[{key!r}] does not start with 'name@version'", line)
                continue
            name, resolution = split_name(ident)
            if not name or not resolution:
                self.file.warn(f"packages[{key!r}]: cannot read {ident!r} as name@version", line)
                continue
            if resolution.startswith(_LOCAL):
                continue  # the project's own workspaces and symlinked folders
            note = None
            version: str | None = resolution
            if ":" in resolution or "/" in resolution:
                note, version = f"not from the registry: {resolution}", None
            collector.add(
                name,
                version,
                note,
                line,
                (key in direct) if known else None,
                scope_of.get(key),
                reached=key in scope_of,
            )
        return collector.packages()
