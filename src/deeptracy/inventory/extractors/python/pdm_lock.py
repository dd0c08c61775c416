"""pdm.lock, lock_version 3.x and 4.x.

Each package lists its `groups`: "default" is runtime; a group pyproject.toml declares as
optional-dependencies is OPTIONAL, one it declares as development (tool.pdm.dev-dependencies,
dependency-groups) DEV; without pyproject.toml the scope of other groups is not known. git,
URL and local-path packages have a note instead of a version.
"""

from __future__ import annotations

from collections.abc import Iterable

from deeptracy.ecosystems import PYPI, normalize_name
from deeptracy.inventory.extractors.python.pep508 import pypi_package
from deeptracy.inventory.extractors.python.project import Declarations, read_declarations
from deeptracy.inventory.extractors.support.jsontext import type_name
from deeptracy.inventory.extractors.support.tomltext import load_toml, table_array_lines
from deeptracy.inventory.interface import ExtractError, Extractor, ScanFile
from deeptracy.inventory.model import Package, Scope

_SUPPORTED = ("3", "4")


class PdmLockExtractor(Extractor):
    name = "python/pdm-lock"
    ecosystem = PYPI
    filenames = frozenset({"pdm.lock"})

    def extract(self, file: ScanFile) -> Iterable[Package]:
        text = file.text()
        data = load_toml(text)
        metadata = data.get("metadata")
        version = metadata.get("lock_version") if isinstance(metadata, dict) else None
        if not isinstance(version, str) or version.split(".")[0] not in _SUPPORTED:
            raise ExtractError(
                f"unsupported metadata.lock_version {version!r} (supported: 3.x, 4.x)"
            )
        packages = data.get("package", [])
        if not isinstance(packages, list):
            raise ExtractError(f"'package' is {type_name(packages)}, not an array of tables")
        declared = read_declarations(file)
        direct_names = set(declared.scopes()) if declared is not None else None
        lines = table_array_lines(text, "package", len(packages))
        out = []
        for index, (entry, line) in enumerate(zip(packages, lines, strict=True)):
            if not isinstance(entry, dict):
                file.warn(f"package[{index}] is {type_name(entry)}, not a table; skipped", line)
                continue
            name, version = entry.get("name"), entry.get("version")
            if not isinstance(name, str) or not name or not isinstance(version, str):
                file.warn(f"package[{index}] has no name and version strings; skipped", line)
                continue
            note = _source_note(entry, version)
            out.append(
                pypi_package(
                    name,
                    None if note else version,
                    path=file.path,
                    line=line,
                    direct=None
                    if direct_names is None
                    else normalize_name(PYPI, name) in direct_names,
                    scope=_scope(entry.get("groups"), declared),
                    note=note,
                )
            )
        return out


def _source_note(entry: dict[str, object], version: str) -> str | None:
    for kind in ("git", "hg", "svn", "bzr", "url", "path"):
        where = entry.get(kind)
        if isinstance(where, str):
            ref = entry.get("revision") or entry.get("ref")
            at = f"@{ref}" if isinstance(ref, str) else ""
            editable = "editable " if entry.get("editable") is True else ""
            return f"{editable}{kind} source {where}{at} (version {version} in the lockfile)"
    return None


def _scope(groups: object, declared: Declarations | None) -> Scope | None:
    if not isinstance(groups, list) or not groups or "default" in groups:
        return None
    if declared is None:
        return None
    if any(group in declared.optional_groups for group in groups):
        return Scope.OPTIONAL
    if all(group in declared.dev_groups for group in groups):
        return Scope.DEV
    return None
