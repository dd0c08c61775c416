"""yarn.lock: the v1 syntax (yarn 1) and the YAML lockfile of yarn Berry (2 and later).

Neither records which packages the project asked for, nor which are development-only: both are
derived from the package.json files beside the lockfile (Berry names its workspaces), walking
the dependency graph each block records.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from deeptracy.ecosystems import NPM
from deeptracy.inventory.extractors.javascript import yarn_v1
from deeptracy.inventory.extractors.javascript.npm import (
    Collector,
    classify_spec,
    name_from_tarball_url,
    split_name,
)
from deeptracy.inventory.extractors.javascript.package_json import Manifest, read_manifest
from deeptracy.inventory.extractors.support.graph import scopes
from deeptracy.inventory.extractors.support.yamltext import key_lines, load_yaml
from deeptracy.inventory.extractors.support.yamltext import yaml_type as type_name
from deeptracy.inventory.interface import ExtractError, Extractor, ScanFile
from deeptracy.inventory.model import Package, Scope

_BERRY = re.compile(r"^__metadata:", re.MULTILINE)
_BERRY_VERSIONS = range(3, 9)  # __metadata.version written by yarn 2.0 to 4.x


@dataclass
class _Node:
    """One lockfile entry on its way to a package."""

    key: str
    name: str
    version: str | None
    line: int | None
    note: str | None = None
    deps: list[tuple[str, Scope | None]] = field(default_factory=list)  # (descriptor, edge)


class YarnLockExtractor(Extractor):
    name = "javascript/yarn-lock"
    ecosystem = NPM
    filenames = frozenset({"yarn.lock"})

    def extract(self, file: ScanFile) -> Iterable[Package]:
        text = file.text()
        if _BERRY.search(text):
            return _berry(file, text)
        return _classic(file, text)


def _packages(
    file: ScanFile,
    nodes: list[_Node],
    index: dict[str, _Node],
    roots: list[tuple[str, Scope | None]] | None,
    roots_complete: bool,
) -> list[Package]:
    """Packages of `nodes`, with direct/scope from the roots when known; one package per
    (name, version, note), locations merged (a Berry patch and the package it patches)."""
    by_key = {node.key: node for node in nodes}
    scope_of: dict[str, Scope | None] = {}
    direct_keys: set[str] = set()
    if roots is not None:
        root_nodes = [(index[d].key, s) for d, s in roots if d in index]
        direct_keys = {key for key, _ in root_nodes}

        def edges(key: str) -> Iterator[tuple[str, Scope | None]]:
            for descriptor, edge in by_key[key].deps:
                child = index.get(descriptor)
                if child is not None:
                    yield child.key, edge

        scope_of = scopes(root_nodes, edges)
    collector = Collector(file.path)
    for node in nodes:
        if roots is None:
            direct: bool | None = None
        elif node.key in direct_keys:
            direct = True
        else:
            direct = False if roots_complete else None
        collector.add(
            node.name,
            node.version,
            node.note,
            node.line,
            direct,
            scope_of.get(node.key),
            reached=node.key in scope_of,
        )
    return collector.packages()


# --- yarn 1 -------------------------------------------------------------------------------


def _classic(file: ScanFile, text: str) -> list[Package]:
    nodes: list[_Node] = []
    index: dict[str, _Node] = {}
    for block in yarn_v1.parse(text):
        node = _classic_node(file, block)
        if node is None:
            continue
        nodes.append(node)
        for spec in block.specifiers:
            index[spec] = node
    manifest = read_manifest(file)
    roots = _manifest_roots(manifest) if manifest else None
    # Workspaces' own package.json files are not named by a v1 lockfile: with workspaces, a
    # package that the root does not reach is not known to be transitive.
    complete = manifest is not None and not manifest.has_workspaces
    return _packages(file, nodes, index, roots, complete)


def _manifest_roots(manifest: Manifest) -> list[tuple[str, Scope | None]]:
    return [(f"{name}@{spec}", scope) for name, spec, scope in manifest.declared]


def _classic_node(file: ScanFile, block: yarn_v1.Block) -> _Node | None:
    name, spec = split_name(block.specifiers[0])
    real, _, note = classify_spec(name, spec)
    if spec.startswith("link:"):
        return None  # a symlink to a local folder
    version = block.fields.get("version")
    if version is None:
        file.warn(f"entry {block.specifiers[0]!r} has no version; skipped", block.line)
        return None
    resolved = block.fields.get("resolved")
    if note is None and resolved is not None:
        if resolved.startswith(("https://", "http://")) and "/-/" in resolved:
            real = name_from_tarball_url(resolved.split("#", 1)[0]) or real
        else:
            note = f"not from the registry: {resolved}"
    node = _Node(
        block.specifiers[0],
        real,
        None if note else version,
        block.line,
        f"{note} (version {version} in the lockfile)" if note else None,
    )
    for section, edge in (("dependencies", None), ("optionalDependencies", Scope.OPTIONAL)):
        for dep, dep_range in block.maps.get(section, {}).items():
            node.deps.append((f"{dep}@{dep_range}", edge))
    return node


# --- yarn Berry ---------------------------------------------------------------------------


def _berry(file: ScanFile, text: str) -> list[Package]:
    data = load_yaml(text)
    if not isinstance(data, dict):
        raise ExtractError(f"top level is {type_name(data)}, not a mapping")
    metadata = data.get("__metadata")
    version = metadata.get("version") if isinstance(metadata, dict) else None
    if not (isinstance(version, str) and version.isdigit() and int(version) in _BERRY_VERSIONS):
        raise ExtractError(
            f"unsupported yarn lockfile __metadata.version {version!r} (supported: "
            f"{_BERRY_VERSIONS.start} to {_BERRY_VERSIONS.stop - 1})"
        )
    lines = key_lines(text, None, 0)
    nodes: list[_Node] = []
    index: dict[str, _Node] = {}
    roots: list[tuple[str, Scope | None]] = []
    for key, entry in data.items():
        if key == "__metadata":
            continue
        line = lines.get(key)
        if not isinstance(entry, dict):
            file.warn(f"entry {key!r} is {type_name(entry)}, not a mapping; skipped", line)
            continue
        resolution = entry.get("resolution")
        if not isinstance(resolution, str):
            file.warn(f"entry {key!r} has no resolution; skipped", line)
            continue
        deps = _berry_deps(entry)
        name, reference = split_name(resolution)
        if reference.startswith("workspace:"):
            roots.extend(_workspace_roots(file, reference.removeprefix("workspace:"), deps))
            continue
        if reference.startswith(("link:", "portal:")):
            continue  # a symlink to a local folder, not a package of any registry
        node = _berry_node(key, name, reference, entry, line)
        if node is None:
            file.warn(f"entry {key!r} has no version; skipped", line)
            continue
        node.deps = deps
        nodes.append(node)
        for descriptor in key.split(","):
            index[descriptor.strip()] = node
    # The workspaces' dependencies are written without the default "npm:" protocol.
    resolved_roots = [(_berry_descriptor(index, d), s) for d, s in roots]
    for node in nodes:
        node.deps = [(_berry_descriptor(index, d), s) for d, s in node.deps]
    return _packages(file, nodes, index, resolved_roots, True)


def _berry_descriptor(index: dict[str, Any], descriptor: str) -> str:
    if descriptor in index:
        return descriptor
    name, spec = split_name(descriptor)
    return f"{name}@npm:{spec}"


def _berry_deps(entry: dict[str, Any]) -> list[tuple[str, Scope | None]]:
    deps = entry.get("dependencies")
    meta = entry.get("dependenciesMeta")
    out: list[tuple[str, Scope | None]] = []
    if isinstance(deps, dict):
        for dep, spec in deps.items():
            if not isinstance(spec, str):
                continue
            dep_meta = meta.get(dep) if isinstance(meta, dict) else None
            optional = isinstance(dep_meta, dict) and dep_meta.get("optional") == "true"
            out.append((f"{dep}@{spec}", Scope.OPTIONAL if optional else None))
    return out


def _berry_node(
    key: str, name: str, reference: str, entry: dict[str, Any], line: int | None
) -> _Node | None:
    version = entry.get("version")
    if not isinstance(version, str):
        return None
    if reference.startswith("npm:"):
        return _Node(key, name, version, line)
    if reference.startswith("patch:"):
        # "patch:resolve@npm%3A1.22.1#~builtin<compat/resolve>::version=1.22.1&hash=...":
        # the patched package is the base package at its version.
        base = unquote(reference.removeprefix("patch:").split("#", 1)[0])
        base_name, base_ref = split_name(base)
        if base_ref.startswith("npm:"):
            return _Node(key, base_name, version, line)
        return _Node(key, base_name, None, line, f"patched {base} (version {version})")
    note = f"not from the registry: {name}@{reference} (version {version} in the lockfile)"
    return _Node(key, name, None, line, note)


def _workspace_roots(
    file: ScanFile, folder: str, deps: list[tuple[str, Scope | None]]
) -> list[tuple[str, Scope | None]]:
    """A workspace's dependencies as roots, scoped by its package.json when readable."""
    manifest = read_manifest(
        file, "package.json" if folder in ("", ".") else f"{folder}/package.json"
    )
    scope_by_name: dict[str, Scope | None] = {}
    if manifest is not None:
        for dep_name, _, scope in reversed(manifest.declared):  # first section wins
            scope_by_name[dep_name] = scope
    return [(d, scope_by_name.get(split_name(d)[0])) for d, _ in deps]
