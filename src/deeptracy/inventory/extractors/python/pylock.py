"""pylock.toml (PEP 751), lock-version 1.x: `pylock.toml` and named `pylock.<name>.toml`.

A package from an index (`index`, `sdist`, `wheels`) has an exact version; `vcs`, `archive`
and `directory` packages have a note instead. A package whose marker selects it only with a
dependency group that is not a default one is DEV, only with an extra OPTIONAL. A directory
installed as editable, or the directory of the lockfile itself, is the project being locked,
not a dependency. The format records no graph roots: direct dependencies are those
pyproject.toml beside it declares.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import Any

from packaging.markers import InvalidMarker, Marker, UndefinedComparison, UndefinedEnvironmentName

from deeptracy.ecosystems import PYPI, normalize_name
from deeptracy.inventory.extractors.python.pep508 import pypi_package
from deeptracy.inventory.extractors.python.project import read_declarations
from deeptracy.inventory.extractors.support.jsontext import type_name
from deeptracy.inventory.extractors.support.tomltext import load_toml, table_array_lines
from deeptracy.inventory.interface import ExtractError, Extractor, ScanFile
from deeptracy.inventory.model import Package, Scope

_FILENAME = re.compile(r"^pylock\.([^.]+\.)?toml$")


class PylockExtractor(Extractor):
    name = "python/pylock"
    ecosystem = PYPI
    filenames = frozenset({"pylock.toml"})
    patterns = ("pylock.*.toml",)

    def wants(self, path: PurePosixPath) -> bool:
        return bool(_FILENAME.match(path.name))

    def extract(self, file: ScanFile) -> Iterable[Package]:
        text = file.text()
        data = load_toml(text)
        version = data.get("lock-version")
        if not isinstance(version, str) or version.split(".")[0] != "1":
            raise ExtractError(f"unsupported lock-version {version!r} (supported: 1.x)")
        packages = data.get("packages", [])
        if not isinstance(packages, list):
            raise ExtractError(f"'packages' is {type_name(packages)}, not an array of tables")
        selections = _Selections(data)
        declared = read_declarations(file)
        direct_names = set(declared.scopes()) if declared is not None else None
        lines = table_array_lines(text, "packages", len(packages))
        out = []
        for index, (entry, line) in enumerate(zip(packages, lines, strict=True)):
            if not isinstance(entry, dict):
                file.warn(f"packages[{index}] is {type_name(entry)}, not a table; skipped", line)
                continue
            name, version = entry.get("name"), entry.get("version")
            if not isinstance(name, str) or not name or not isinstance(version, str | None):
                file.warn(f"packages[{index}] has no name string; skipped", line)
                continue
            if _is_the_project(entry.get("directory")):
                continue
            note = _source_note(entry, version)
            if note is None and version is None:
                file.warn(f"packages[{index}] ({name}) has no version and no source", line)
                continue
            out.append(
                pypi_package(
                    name,
                    None if note else version,
                    path=file.path,
                    line=line,
                    direct=None
                    if direct_names is None
                    else normalize_name(PYPI, name) in direct_names,
                    scope=selections.scope(entry.get("marker")),
                    note=note,
                )
            )
        return out


class _Selections:
    """The dependency groups and extras the lockfile offers, to read a package's marker."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.defaults = _names(data.get("default-groups"))
        self.groups = _names(data.get("dependency-groups")) | self.defaults
        self.extras = _names(data.get("extras"))

    def selected(self, marker: Marker, groups: frozenset[str], extras: frozenset[str]) -> bool:
        env = {"dependency_groups": groups, "extras": extras}
        return marker.evaluate(env, context="lock_file")

    def scope(self, text: object) -> Scope | None:
        """None when installed by default (or the marker only depends on the platform)."""
        if not isinstance(text, str) or not ("dependency_groups" in text or "extras" in text):
            return None
        try:
            marker = Marker(text)
            if self.selected(marker, self.defaults, frozenset()):
                return None
            if self.selected(marker, self.groups, frozenset()):
                return Scope.DEV
            if self.selected(marker, self.defaults, self.extras):
                return Scope.OPTIONAL
        except (InvalidMarker, UndefinedComparison, UndefinedEnvironmentName):
            return None
        return None


def _names(value: object) -> frozenset[str]:
    return (
        frozenset(v for v in value if isinstance(v, str))
        if isinstance(value, list)
        else frozenset()
    )


def _is_the_project(directory: object) -> bool:
    if not isinstance(directory, dict):
        return False
    path = directory.get("path")
    return directory.get("editable") is True or path in (".", "./", "")


def _source_note(entry: dict[str, Any], version: str | None) -> str | None:
    locked = f" (version {version} in the lockfile)" if version else ""
    vcs = entry.get("vcs")
    if isinstance(vcs, dict):
        where = vcs.get("url") or vcs.get("path")
        commit = vcs.get("commit-id")
        at = f"@{commit}" if isinstance(commit, str) else ""
        return f"{vcs.get('type', 'vcs')} source {where}{at}{locked}"
    for kind in ("archive", "directory"):
        source = entry.get(kind)
        if isinstance(source, dict):
            return f"{kind} source {source.get('url') or source.get('path')}{locked}"
    return None
