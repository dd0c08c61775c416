"""Dependencies a Python project declares in pyproject.toml (PEP 621, PEP 735 dependency
groups, Poetry, PDM) or a Pipfile: read by the pyproject.toml extractor, and by lockfile
extractors to tell direct dependencies and the scope of a group."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from deeptracy.ecosystems import PYPI, normalize_name
from deeptracy.inventory.extractors.support.siblings import read_sibling_text, sibling_path
from deeptracy.inventory.interface import ScanFile
from deeptracy.inventory.model import Scope

_LEADING_NAME = re.compile(r"^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")


@dataclass(frozen=True)
class Declaration:
    """One declared dependency, before it is read as a requirement."""

    name: str | None  # None: a PEP 508 string, whose name is in `text`
    text: str  # the PEP 508 string, or Poetry's version constraint ("" when none)
    scope: Scope | None
    table: str  # where it is declared ("project.dependencies", "tool.poetry.group.dev...")
    key: str | None = None  # for Poetry: the key, looked for to find the line
    source: str | None = None  # for Poetry: git/path/url source, the dependency's note


@dataclass
class Declarations:
    project: str | None = None
    items: list[Declaration] = field(default_factory=list)
    optional_groups: set[str] = field(default_factory=set)
    dev_groups: set[str] = field(default_factory=set)

    def scopes(self) -> dict[str, Scope | None]:
        """Normalized name -> the scope of its declaration (runtime wins over others)."""
        order = (None, Scope.OPTIONAL, Scope.DEV)
        out: dict[str, Scope | None] = {}
        for item in self.items:
            name = item.name or _leading_name(item.text)
            if name is None or name.lower() == "python":
                continue
            key = normalize_name(PYPI, name)
            if key not in out or order.index(item.scope) < order.index(out[key]):
                out[key] = item.scope
        return out


def _leading_name(text: str) -> str | None:
    match = _LEADING_NAME.match(text)
    return match.group(1) if match else None


def _table(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    for key in keys:
        value = data.get(key)
        if not isinstance(value, dict):
            return {}
        data = value
    return data


def declarations(data: dict[str, Any]) -> Declarations:
    """Everything pyproject.toml declares, wrong types left out."""
    found = Declarations()
    project = _table(data, "project")
    poetry = _table(data, "tool", "poetry")
    name = project.get("name", poetry.get("name"))
    found.project = name if isinstance(name, str) else None
    found.items.extend(_strings(project.get("dependencies"), None, "project.dependencies"))
    for group, deps in _table(project, "optional-dependencies").items():
        found.optional_groups.add(group)
        found.items.extend(_strings(deps, Scope.OPTIONAL, f"project.optional-dependencies.{group}"))
    for group, deps in _table(data, "dependency-groups").items():
        found.dev_groups.add(group)
        found.items.extend(_strings(deps, Scope.DEV, f"dependency-groups.{group}"))
    found.items.extend(_poetry(poetry.get("dependencies"), None, "tool.poetry.dependencies"))
    if isinstance(poetry.get("dev-dependencies"), dict):
        found.dev_groups.add("dev")
        found.items.extend(
            _poetry(poetry["dev-dependencies"], Scope.DEV, "tool.poetry.dev-dependencies")
        )
    for group, table in _table(poetry, "group").items():
        found.dev_groups.add(group)
        deps = table.get("dependencies") if isinstance(table, dict) else None
        found.items.extend(_poetry(deps, Scope.DEV, f"tool.poetry.group.{group}.dependencies"))
    for group, deps in _table(data, "tool", "pdm", "dev-dependencies").items():
        found.dev_groups.add(group)
        found.items.extend(_strings(deps, Scope.DEV, f"tool.pdm.dev-dependencies.{group}"))
    found.items.extend(
        _strings(
            _table(data, "tool", "uv").get("dev-dependencies"),
            Scope.DEV,
            "tool.uv.dev-dependencies",
        )
    )
    return found


def _strings(value: object, scope: Scope | None, table: str) -> Iterator[Declaration]:
    """PEP 508 strings of a list; `{include-group = ...}` tables of PEP 735 are skipped (the
    included group is read on its own)."""
    if isinstance(value, list):
        for item in value:
            if isinstance(item, str):
                yield Declaration(None, item, scope, table)


def _poetry(value: object, scope: Scope | None, table: str) -> Iterator[Declaration]:
    """Poetry's `name = "^1.2"`, `name = {version = ..., optional = true}`, a git/path/url
    source, or a list of such tables (one per environment marker)."""
    if not isinstance(value, dict):
        return
    for name, spec in value.items():
        if name.lower() == "python":
            continue  # the Python version, not a package
        for one in spec if isinstance(spec, list) else [spec]:
            if isinstance(one, str):
                yield Declaration(name, one, scope, table, key=name)
            elif isinstance(one, dict):
                item_scope = (
                    Scope.OPTIONAL if one.get("optional") is True and scope is None else scope
                )
                source = next(
                    (f"{kind} {one[kind]}" for kind in ("git", "path", "url") if kind in one),
                    None,
                )
                version = one.get("version")
                text = version if isinstance(version, str) else ""
                yield Declaration(name, text, item_scope, table, key=name, source=source)


def read_declarations(file: ScanFile, relative: str = "pyproject.toml") -> Declarations | None:
    """The declarations of the pyproject.toml beside a lockfile, or None when absent or
    unreadable (a warning says which)."""
    text = read_sibling_text(file, relative)
    if text is None:
        return None
    try:
        return declarations(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        file.warn(
            f"not valid TOML ({exc}); direct dependencies not derived from it",
            path=sibling_path(file, relative),
        )
        return None


def read_pipfile(file: ScanFile) -> dict[str, Scope | None] | None:
    """Normalized name -> scope of the Pipfile beside a Pipfile.lock ([packages] is runtime,
    [dev-packages] development), or None."""
    text = read_sibling_text(file, "Pipfile")
    if text is None:
        return None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        file.warn(
            f"not valid TOML ({exc}); direct dependencies not derived from it",
            path=sibling_path(file, "Pipfile"),
        )
        return None
    out: dict[str, Scope | None] = {}
    for section, scope in (("dev-packages", Scope.DEV), ("packages", None)):
        for name in _table(data, section):
            out[normalize_name(PYPI, name)] = scope
    return out
