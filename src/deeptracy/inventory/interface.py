"""The extractor interface: an extractor names the files it wants and reads one opened file.

Extractors never walk the tree (the walker does) and never execute anything. A file they
cannot read raises ExtractError (or any parse error) and becomes a FileError in the inventory;
smaller problems inside a readable file are reported through `ScanFile.warn`.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from fnmatch import fnmatchcase
from pathlib import PurePosixPath
from typing import Any, ClassVar

from deeptracy.inventory.model import FileError, Package


class ExtractError(ValueError):
    """The file cannot be read as the format it claims to be; the message says where and why."""


class FileKind(StrEnum):
    LOCKFILE = "lockfile"  # exact, resolved versions
    MANIFEST = "manifest"  # declared requirements; superseded by a lockfile beside it
    SBOM = "sbom"


@dataclass
class ScanFile:
    """One file handed to an extractor: its path in the tree, its bytes, and a way to read
    sibling files (requirement includes, Maven parents) without leaving the tree."""

    path: str  # POSIX, relative to the tree root
    data: bytes
    read_sibling: Callable[[str], bytes] | None = None
    warnings: list[FileError] = field(default_factory=list)

    @property
    def name(self) -> str:
        return PurePosixPath(self.path).name

    @property
    def directory(self) -> str:
        parent = str(PurePosixPath(self.path).parent)
        return "" if parent == "." else parent

    def text(self) -> str:
        try:
            text = self.data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ExtractError(f"not UTF-8 text (byte {exc.start})") from None
        return text.removeprefix("\ufeff")

    def json(self) -> Any:
        try:
            return json.loads(self.text())
        except json.JSONDecodeError as exc:
            raise ExtractError(
                f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
            ) from None

    def read(self, relative: str) -> bytes:
        """Read another file of the tree, relative to this file's directory."""
        if self.read_sibling is None:
            raise ExtractError(f"cannot read {relative!r}: no tree available")
        target = (
            PurePosixPath(self.directory) / relative if self.directory else PurePosixPath(relative)
        )
        return self.read_sibling(str(target))

    def warn(self, message: str, line: int | None = None, path: str | None = None) -> None:
        self.warnings.append(FileError(path=path or self.path, message=message, line=line))


class Extractor(ABC):
    """One file format. Subclasses set the class attributes and implement `extract`."""

    name: ClassVar[str]  # e.g. "python/requirements"
    ecosystem: ClassVar[str]  # OSV ecosystem name of what it yields ("" for SBOMs: mixed)
    kind: ClassVar[FileKind] = FileKind.LOCKFILE
    filenames: ClassVar[frozenset[str]] = frozenset()  # exact basenames
    patterns: ClassVar[tuple[str, ...]] = ()  # fnmatch patterns on the basename, case-sensitive
    # For manifests: lockfile basenames that, present in the same directory, supersede it.
    superseded_by: ClassVar[frozenset[str]] = frozenset()

    def wants(self, path: PurePosixPath) -> bool:
        """Whether this extractor reads `path`; the default looks at the basename only."""
        return path.name in self.filenames or any(fnmatchcase(path.name, p) for p in self.patterns)

    @abstractmethod
    def extract(self, file: ScanFile) -> Iterable[Package]:
        """The packages stated by `file`."""
