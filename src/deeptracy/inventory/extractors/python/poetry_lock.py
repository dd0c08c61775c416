"""poetry.lock, lock-version 1.x (Poetry 1.0-1.4: `category` main/dev) and 2.x (Poetry 1.5+;
`groups` since lock-version 2.1).

A package from a registry (PyPI or another index) has an exact version; one from git, a URL,
a file or a directory has a note instead. Direct dependencies are those the pyproject.toml
beside the lockfile declares.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from deeptracy.ecosystems import PYPI, normalize_name
from deeptracy.inventory.extractors.python.pep508 import pypi_package
from deeptracy.inventory.extractors.python.project import read_declarations
from deeptracy.inventory.extractors.support.jsontext import type_name
from deeptracy.inventory.extractors.support.tomltext import load_toml, table_array_lines
from deeptracy.inventory.interface import ExtractError, Extractor, ScanFile
from deeptracy.inventory.model import Package, Scope

_SUPPORTED = ("1", "2")
_REGISTRY_SOURCES = frozenset({"legacy", "supplemental", "explicit", "primary", "default"})


class PoetryLockExtractor(Extractor):
    name = "python/poetry-lock"
    ecosystem = PYPI
    filenames = frozenset({"poetry.lock"})

    def extract(self, file: ScanFile) -> Iterable[Package]:
        text = file.text()
        data = load_toml(text)
        metadata = data.get("metadata", {})
        lock_version = metadata.get("lock-version", "1.0") if isinstance(metadata, dict) else None
        if not isinstance(lock_version, str) or lock_version.split(".")[0] not in _SUPPORTED:
            raise ExtractError(f"unsupported lock-version {lock_version!r} (supported: 1.x, 2.x)")
        packages = data.get("package", [])
        if not isinstance(packages, list):
            raise ExtractError(f"'package' is {type_name(packages)}, not an array of tables")
        declared = read_declarations(file)
        direct_names = set(declared.scopes()) if declared is not None else None
        lines = table_array_lines(text, "package", len(packages))
        out = []
        for index, (entry, line) in enumerate(zip(packages, lines, strict=True)):
            pkg = _package(file, entry, line, index, direct_names)
            if pkg is not None:
                out.append(pkg)
        return out


def _package(
    file: ScanFile, entry: object, line: int | None, index: int, direct: set[str] | None
) -> Package | None:
    if not isinstance(entry, dict):
        file.warn(f"package[{index}] is {type_name(entry)}, not a table; skipped", line)
        return None
    name, version = entry.get("name"), entry.get("version")
    if not isinstance(name, str) or not name or not isinstance(version, str) or not version:
        file.warn(f"package[{index}] has no name and version strings; skipped", line)
        return None
    note = _source_note(entry.get("source"), version)
    return pypi_package(
        name,
        None if note else version,
        path=file.path,
        line=line,
        direct=None if direct is None else normalize_name(PYPI, name) in direct,
        scope=_scope(entry),
        note=note,
    )


def _source_note(source: object, version: str) -> str | None:
    if not isinstance(source, dict):
        return None
    kind = source.get("type")
    if kind in _REGISTRY_SOURCES or kind is None:
        return None  # a package index other than PyPI: still a release of the package
    where = source.get("url", "")
    ref = source.get("resolved_reference") or source.get("reference")
    at = f"@{ref}" if kind == "git" and isinstance(ref, str) else ""
    return f"{kind} source {where}{at} (version {version} in the lockfile)"


def _scope(entry: dict[str, Any]) -> Scope | None:
    groups = entry.get("groups")
    if isinstance(groups, list) and groups:
        if "main" not in groups:
            return Scope.DEV  # only in non-main groups, installed with --with
    elif entry.get("category") == "dev":
        return Scope.DEV
    if entry.get("optional") is True:
        return Scope.OPTIONAL  # an extra's dependency
    return None
