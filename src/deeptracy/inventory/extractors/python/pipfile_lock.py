"""Pipfile.lock (pipenv): `default` packages are runtime, `develop` ones DEV.

`"version": "==1.2.3"` is exact; git, path and file entries have a note instead. Direct
dependencies are those the Pipfile beside the lockfile names.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from deeptracy.ecosystems import PYPI, normalize_name
from deeptracy.inventory.extractors.python.pep508 import pypi_package
from deeptracy.inventory.extractors.python.project import read_pipfile
from deeptracy.inventory.extractors.support.jsontext import KeyLocator, type_name
from deeptracy.inventory.interface import ExtractError, Extractor, ScanFile
from deeptracy.inventory.model import Package, Scope

_SECTIONS: dict[str, Scope | None] = {"default": None, "develop": Scope.DEV}


class PipfileLockExtractor(Extractor):
    name = "python/pipfile-lock"
    ecosystem = PYPI
    filenames = frozenset({"Pipfile.lock"})

    def extract(self, file: ScanFile) -> Iterable[Package]:
        text = file.text()
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
        if not any(section in data for section in _SECTIONS):
            raise ExtractError("neither 'default' nor 'develop': not a Pipfile.lock")
        declared = read_pipfile(file)
        loc = KeyLocator(text)
        out = []
        for section, entries in data.items():  # file order, for the locator
            if section not in _SECTIONS:
                continue
            section_line = loc.line_of(section)
            if not isinstance(entries, dict):
                file.warn(f"'{section}' is {type_name(entries)}, not an object", section_line)
                continue
            for name, entry in entries.items():
                line = loc.line_of(name, "{")
                if not isinstance(entry, dict):
                    file.warn(f"{section}[{name!r}] is {type_name(entry)}; skipped", line)
                    continue
                direct = None if declared is None else normalize_name(PYPI, name) in declared
                pkg = _package(file, name, entry, line, direct, _SECTIONS[section])
                if pkg is not None:
                    out.append(pkg)
        return out


def _package(
    file: ScanFile,
    name: str,
    entry: dict[str, object],
    line: int | None,
    direct: bool | None,
    scope: Scope | None,
) -> Package | None:
    version = entry.get("version")
    if isinstance(version, str):
        exact = version.removeprefix("===").removeprefix("==")
        if exact != version and exact and "*" not in exact:
            return pypi_package(name, exact, path=file.path, line=line, direct=direct, scope=scope)
        return pypi_package(
            name, path=file.path, line=line, declared=version, direct=direct, scope=scope
        )
    for kind in ("git", "hg", "svn", "bzr", "file", "path"):
        where = entry.get(kind)
        if isinstance(where, str):
            ref = entry.get("ref")
            at = f"@{ref}" if isinstance(ref, str) else ""
            editable = "editable " if entry.get("editable") is True else ""
            return pypi_package(
                name,
                path=file.path,
                line=line,
                direct=direct,
                scope=scope,
                note=f"{editable}{kind} source {where}{at}, version unknown from the files",
            )
    file.warn(f"{name!r} has neither a version nor a source; skipped", line)
    return None
