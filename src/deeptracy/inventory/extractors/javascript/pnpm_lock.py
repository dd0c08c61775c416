"""pnpm-lock.yaml, lockfile versions 5.x (pnpm 5-7), 6.x (pnpm 8) and 9.x (pnpm 9 and 10).

Package keys changed with each version: `/name/1.2.3_peer@1.0.0` (5), `/name@1.2.3(peer@1.0.0)`
(6) and `name@1.2.3` (9, whose peer-suffixed variants moved to `snapshots`). The suffix names
the peers a copy was resolved with; it is not part of the version. `importers` (or the top
level of a single-project 5/6 file) name the direct dependencies of each project. Versions 5
and 6 flag dev-only and optional packages; for 9 the scope is derived from the graph.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from deeptracy.ecosystems import NPM
from deeptracy.inventory.extractors.javascript.npm import Collector, split_name
from deeptracy.inventory.extractors.support.graph import scopes
from deeptracy.inventory.extractors.support.yamltext import key_lines, load_yaml
from deeptracy.inventory.extractors.support.yamltext import yaml_type as type_name
from deeptracy.inventory.interface import ExtractError, Extractor, ScanFile
from deeptracy.inventory.model import Package, Scope

_SUPPORTED = (5, 6, 9)
_SECTIONS: tuple[tuple[str, Scope | None], ...] = (
    ("dependencies", None),
    ("optionalDependencies", Scope.OPTIONAL),
    ("devDependencies", Scope.DEV),
)
_EDGES: tuple[tuple[str, Scope | None], ...] = (
    ("dependencies", None),
    ("optionalDependencies", Scope.OPTIONAL),
)


class PnpmLockExtractor(Extractor):
    name = "javascript/pnpm-lock"
    ecosystem = NPM
    filenames = frozenset({"pnpm-lock.yaml"})

    def extract(self, file: ScanFile) -> Iterable[Package]:
        text = file.text()
        data = load_yaml(text)
        if not isinstance(data, dict):
            raise ExtractError(f"top level is {type_name(data)}, not a mapping")
        raw_version = data.get("lockfileVersion")
        major = _major(raw_version)
        if major not in _SUPPORTED:
            raise ExtractError(
                f"unsupported lockfileVersion {raw_version!r} (supported: 5.x, 6.x, 9.x)"
            )
        packages = _mapping(data, "packages")
        snapshots = _mapping(data, "snapshots") if major >= 9 else packages
        importers = _mapping(data, "importers") or {".": data}
        return _Reader(file, major, packages, snapshots, key_lines(text, "packages", 2)).read(
            importers
        )


def _major(value: object) -> int | None:
    head = str(value).split(".", 1)[0] if isinstance(value, str | int | float) else ""
    return int(head) if head.isdigit() else None


def _mapping(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ExtractError(f"'{key}' is {type_name(value)}, not a mapping")
    return value


class _Reader:
    def __init__(
        self,
        file: ScanFile,
        major: int,
        packages: dict[str, Any],
        snapshots: dict[str, Any],
        lines: dict[str, int],
    ) -> None:
        self.file = file
        self.major = major
        self.packages = packages
        self.snapshots = snapshots  # graph nodes: the packages themselves before v9
        self.lines = lines

    def node_of(self, name: str, ref: object) -> str | None:
        """The graph node a dependency reference (`1.2.3`, `1.2.3(react@18.2.0)`, an alias
        `string-width@4.2.3`, a path `/name/1.2.3`, `link:../x`) points to."""
        if not isinstance(ref, str) or ref.startswith("link:"):
            return None
        if ref in self.snapshots:
            return ref
        if self.major == 5:
            key = f"/{name}/{ref}"
        elif self.major == 6:
            key = f"/{name}@{ref}"
        else:
            key = f"{name}@{ref}"
        return key if key in self.snapshots else None

    def package_id(self, node: str) -> str:
        """The `packages` key of a graph node (a v9 snapshot without its peer suffix)."""
        if self.major < 9 or node in self.packages:
            return node
        name, ref = split_name(node)
        return f"{name}@{ref.split('(', 1)[0]}"

    def edges(self, node: str) -> Iterator[tuple[str, Scope | None]]:
        entry = self.snapshots.get(node)
        if not isinstance(entry, dict):
            return
        for section, edge in _EDGES:
            deps = entry.get(section)
            if isinstance(deps, dict):
                for name, ref in deps.items():
                    child = self.node_of(name, ref)
                    if child is not None:
                        yield child, edge

    def read(self, importers: dict[str, Any]) -> list[Package]:
        roots: list[tuple[str, Scope | None]] = []
        for importer, entry in importers.items():
            if not isinstance(entry, dict):
                self.file.warn(f"importers[{importer!r}] is {type_name(entry)}; ignored")
                continue
            for section, scope in _SECTIONS:
                deps = entry.get(section)
                if not isinstance(deps, dict):
                    continue
                for name, value in deps.items():
                    ref = value.get("version") if isinstance(value, dict) else value
                    node = self.node_of(name, ref)
                    if node is not None:
                        roots.append((node, scope))
        direct = {self.package_id(node) for node, _ in roots}
        graph_scopes: dict[str, Scope | None] = {}
        if self.major >= 9:
            for node, scope in scopes(roots, self.edges).items():
                pid = self.package_id(node)  # peer variants of one package: the best scope
                prior = graph_scopes.get(pid, scope)
                graph_scopes[pid] = _best(prior, scope)
        collector = Collector(self.file.path)
        for key, entry in self.packages.items():
            line = self.lines.get(key)
            if not isinstance(entry, dict):
                self.file.warn(f"packages[{key!r}] is {type_name(entry)}; skipped", line)
                continue
            parsed = self.identify(key, entry)
            if parsed is None:
                self.file.warn(f"cannot read a package name and version in {key!r}", line)
                continue
            name, version, note = parsed
            if self.major >= 9:
                scope, reached = graph_scopes.get(key), key in graph_scopes
            else:
                scope, reached = _flag_scope(entry), True
            collector.add(name, version, note, line, key in direct, scope, reached=reached)
        return collector.packages()

    def identify(
        self, key: str, entry: dict[str, Any]
    ) -> tuple[str, str | None, str | None] | None:
        """(name, exact version or None, note) of a `packages` entry."""
        bare = key[1:] if key.startswith("/") else key
        if self.major == 5:
            name, _, ref = bare.rpartition("/")
            ref = ref.split("_", 1)[0]
        else:
            name, ref = split_name(bare)
            ref = ref.split("(", 1)[0]
        if isinstance(entry.get("name"), str):
            name = entry["name"]
        version = entry.get("version") if isinstance(entry.get("version"), str) else ref
        if not name or not version:
            return None
        resolution = entry.get("resolution")
        source = None
        if isinstance(resolution, dict):
            tarball = resolution.get("tarball")
            if isinstance(resolution.get("repo"), str):
                source = f"{resolution['repo']}#{resolution.get('commit', '')}"
            elif isinstance(resolution.get("directory"), str):
                source = f"directory {resolution['directory']}"
            elif isinstance(tarball, str) and "/-/" not in tarball:
                source = tarball
        if source is None and (
            ":" in ref or "/" in ref or (not key.startswith("/") and self.major < 9)
        ):
            source = bare
        if source is not None:
            return (
                name,
                None,
                f"not from the registry: {source} (version {version} in the lockfile)",
            )
        return name, version, None


def _flag_scope(entry: dict[str, Any]) -> Scope | None:
    if entry.get("dev") == "true":
        return Scope.DEV
    if entry.get("optional") == "true":
        return Scope.OPTIONAL
    return None


def _best(a: Scope | None, b: Scope | None) -> Scope | None:
    order = (None, Scope.OPTIONAL, Scope.PEER, Scope.DEV)
    return a if order.index(a) <= order.index(b) else b
