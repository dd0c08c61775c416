"""pyproject.toml: the dependencies a project declares (a manifest; a lockfile beside it wins).

PEP 621 `[project]` dependencies (runtime) and optional-dependencies (OPTIONAL), PEP 735
`[dependency-groups]`, Poetry's `[tool.poetry.dependencies]` and its groups, PDM's and uv's
development dependencies (DEV). The project itself (a self-referencing extra) is not a
dependency, nor is Poetry's `python`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from deeptracy.ecosystems import PYPI
from deeptracy.inventory.extractors.python.pep508 import (
    RequirementError,
    parse_requirement,
    pypi_package,
    requirement_package,
    same_project,
)
from deeptracy.inventory.extractors.python.project import Declaration, declarations
from deeptracy.inventory.extractors.support.tomltext import load_toml
from deeptracy.inventory.interface import Extractor, FileKind, ScanFile
from deeptracy.inventory.model import Package

_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(?:#.*)?$")


class PyprojectExtractor(Extractor):
    name = "python/pyproject"
    ecosystem = PYPI
    kind = FileKind.MANIFEST
    filenames = frozenset({"pyproject.toml"})
    superseded_by = frozenset({"poetry.lock", "pdm.lock", "uv.lock", "pylock.toml"})

    def extract(self, file: ScanFile) -> Iterable[Package]:
        text = file.text()
        found = declarations(load_toml(text))
        lines = _Lines(text)
        out = []
        for item in found.items:
            line = lines.find(item)
            try:
                pkg = _package(file, item, line)
            except RequirementError as exc:
                file.warn(f"{item.table}: {exc}", line)
                continue
            if pkg is not None and not same_project(pkg.name, found.project):
                out.append(pkg)
        return out


def _package(file: ScanFile, item: Declaration, line: int | None) -> Package | None:
    if item.name is None:  # a PEP 508 string
        req = parse_requirement(item.text)
        return requirement_package(
            req, path=file.path, line=line, direct=True, scope=item.scope, pins_are_exact=False
        )
    if item.source is not None:
        return pypi_package(
            item.name,
            path=file.path,
            line=line,
            direct=True,
            scope=item.scope,
            note=f"{item.source}, version unknown from the files",
        )
    return pypi_package(
        item.name, path=file.path, line=line, declared=item.text, direct=True, scope=item.scope
    )


class _Lines:
    """Finds a declaration's line: its table's header, then the key or string after it."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.headers: dict[str, int] = {}
        for index, line in enumerate(self.lines):
            match = _HEADER.match(line)
            if match:
                self.headers.setdefault(re.sub(r"\s+", "", match.group(1)), index)

    def start(self, table: str) -> int:
        """Index where `table` begins: its header, or the nearest enclosing header written
        followed by the keys of the rest (`[project]` then `optional-dependencies = ...`)."""
        parts = table.split(".")
        for cut in range(len(parts), 0, -1):
            index = self.headers.get(".".join(parts[:cut]))
            if index is not None:
                for key in parts[cut:]:
                    index = self.next_key(key, index) or index
                return index
        return 0

    def next_key(self, key: str, start: int) -> int | None:
        pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
        return next(
            (i for i in range(start, len(self.lines)) if pattern.match(self.lines[i])), None
        )

    def find(self, item: Declaration) -> int | None:
        start = self.start(item.table)
        if item.key is not None:
            index = self.next_key(item.key, start)
        else:
            needles = (f'"{item.text}"', f"'{item.text}'")
            index = next(
                (
                    i
                    for i in range(start, len(self.lines))
                    if any(n in self.lines[i] for n in needles)
                ),
                None,
            )
        return None if index is None else index + 1
