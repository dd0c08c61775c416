"""uv.lock (version 1).

Workspace members (`source = { editable = ... }` or `{ virtual = ... }`, the project itself
among them) are not dependencies: their dependencies are the direct ones, runtime from
`dependencies`, OPTIONAL from `optional-dependencies`, DEV from `dev-dependencies` (dependency
groups), and the scope of every other package follows the graph. A registry package has an
exact version; git, URL, path and directory sources have a note instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from deeptracy.ecosystems import PYPI, normalize_name
from deeptracy.inventory.extractors.python.pep508 import pypi_package
from deeptracy.inventory.extractors.support.graph import scopes
from deeptracy.inventory.extractors.support.jsontext import type_name
from deeptracy.inventory.extractors.support.tomltext import load_toml, table_array_lines
from deeptracy.inventory.interface import ExtractError, Extractor, ScanFile
from deeptracy.inventory.model import Package, Scope

_SUPPORTED = (1,)
_MEMBER_SOURCES = ("editable", "virtual")
_OTHER_SOURCES = ("git", "url", "path", "directory")

_Node = tuple[str, str]  # (normalized name, version)


class UvLockExtractor(Extractor):
    name = "python/uv-lock"
    ecosystem = PYPI
    filenames = frozenset({"uv.lock"})

    def extract(self, file: ScanFile) -> Iterable[Package]:
        text = file.text()
        data = load_toml(text)
        version = data.get("version")
        if type(version) is not int or version not in _SUPPORTED:
            raise ExtractError(f"unsupported uv.lock version {version!r} (supported: 1)")
        packages = data.get("package", [])
        if not isinstance(packages, list):
            raise ExtractError(f"'package' is {type_name(packages)}, not an array of tables")
        lines = table_array_lines(text, "package", len(packages))
        return _Reader(file).read(packages, lines)


class _Reader:
    def __init__(self, file: ScanFile) -> None:
        self.file = file
        self.entries: dict[_Node, dict[str, Any]] = {}
        self.versions: dict[str, list[str]] = {}  # normalized name -> its locked versions
        self.extras: dict[_Node, set[str]] = {}

    def resolve(self, dep: object) -> _Node | None:
        """The package a `{ name = ..., version = ... }` dependency points to."""
        if not isinstance(dep, dict) or not isinstance(dep.get("name"), str):
            return None
        name = normalize_name(PYPI, dep["name"])
        versions = self.versions.get(name, [])
        wanted = dep.get("version")
        if isinstance(wanted, str) and wanted in versions:
            return (name, wanted)
        return (name, versions[0]) if len(versions) == 1 else None

    def deps(self, entry: dict[str, Any], section: str) -> Iterator[tuple[object, str]]:
        """(dependency, group) pairs of `dependencies` (group "") or of a table of groups."""
        value = entry.get(section)
        if isinstance(value, list):
            yield from ((dep, "") for dep in value)
        elif isinstance(value, dict):
            for group, deps in value.items():
                if isinstance(deps, list):
                    yield from ((dep, group) for dep in deps)

    def edges(self, node: _Node) -> Iterator[tuple[_Node, Scope | None]]:
        entry = self.entries.get(node, {})
        wanted = self.extras.get(node, set())
        for dep, _ in self.deps(entry, "dependencies"):
            child = self.resolve(dep)
            if child is not None:
                yield child, None
        for dep, extra in self.deps(entry, "optional-dependencies"):
            child = self.resolve(dep)
            if child is not None and extra in wanted:
                yield child, None

    def collect_extras(self) -> None:
        """The extras of each package that some dependency in the file asks for: the
        dependencies of those extras are followed too."""
        for entry in self.entries.values():
            for section in ("dependencies", "optional-dependencies", "dev-dependencies"):
                for dep, _ in self.deps(entry, section):
                    node = self.resolve(dep)
                    extras = dep.get("extra") if isinstance(dep, dict) else None
                    if node is not None and isinstance(extras, list):
                        self.extras.setdefault(node, set()).update(
                            e for e in extras if isinstance(e, str)
                        )

    def read(self, packages: list[Any], lines: list[int | None]) -> list[Package]:
        kept: list[tuple[dict[str, Any], int | None, _Node]] = []
        members: list[dict[str, Any]] = []
        for index, (entry, line) in enumerate(zip(packages, lines, strict=True)):
            if not isinstance(entry, dict):
                self.file.warn(f"package[{index}] is {type_name(entry)}, not a table", line)
                continue
            name, source = entry.get("name"), entry.get("source")
            version = entry.get("version", "")
            if not isinstance(name, str) or not name or not isinstance(version, str):
                self.file.warn(f"package[{index}] has no name and version strings", line)
                continue
            node = (normalize_name(PYPI, name), version)
            self.entries[node] = entry
            self.versions.setdefault(node[0], []).append(version)
            if isinstance(source, dict) and any(k in source for k in _MEMBER_SOURCES):
                members.append(entry)
            else:
                kept.append((entry, line, node))
        self.collect_extras()
        roots: list[tuple[_Node, Scope | None]] = []
        for member in members:
            for section, scope in (
                ("dependencies", None),
                ("optional-dependencies", Scope.OPTIONAL),
                ("dev-dependencies", Scope.DEV),
            ):
                for dep, _ in self.deps(member, section):
                    child = self.resolve(dep)
                    if child is not None:
                        roots.append((child, scope))
        direct = {node for node, _ in roots}
        scope_of = scopes(roots, self.edges)
        known = bool(members)  # without the project, what is direct is not known
        out = []
        for entry, line, node in kept:
            note = _source_note(entry.get("source"), node[1])
            out.append(
                pypi_package(
                    entry["name"],
                    None if note or not node[1] else node[1],
                    path=self.file.path,
                    line=line,
                    direct=(node in direct) if known else None,
                    scope=scope_of.get(node),
                    note=note,
                )
            )
        return out


def _source_note(source: object, version: str) -> str | None:
    if not isinstance(source, dict):
        return None
    for kind in _OTHER_SOURCES:
        where = source.get(kind)
        if isinstance(where, str):
            return f"{kind} source {where} (version {version} in the lockfile)"
    return None
