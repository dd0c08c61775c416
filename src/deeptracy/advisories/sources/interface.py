"""The one small interface every advisory source implements.

A source yields `Entry` items (one file or zip entry: its bytes and where it came from) and
`Problem` items (something refused or unreadable, reported and skipped). It raises
`SourceError` when it cannot be read at all; the import then stops and the database is left
as it was.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass

from deeptracy.advisories.progress import NULL_PROGRESS, Progress

MiB = 1024 * 1024
RECORD_SUFFIXES = (".json", ".yaml", ".yml")


class SourceError(Exception):
    """The source as a whole cannot be read (missing, unreachable, refused archive)."""


@dataclass(frozen=True, slots=True)
class Limits:
    """Caps that keep hostile input (zip bombs, huge files) from exhausting the machine."""

    max_entry_bytes: int = 16 * MiB  # one record, decompressed
    max_total_bytes: int = 8 * 1024 * MiB  # one archive, decompressed
    max_ratio: float = 200.0  # decompressed / compressed size of one entry
    ratio_floor_bytes: int = 1 * MiB  # entries smaller than this are never bombs
    max_entries: int = 2_000_000
    max_download_bytes: int = 4 * 1024 * MiB  # one all.zip over HTTP


@dataclass(frozen=True, slots=True)
class Entry:
    where: str  # file path, "archive.zip!NAME.json" or URL
    payload: bytes
    expected_id: str | None = None  # when the source knows which record it asked for


@dataclass(frozen=True, slots=True)
class Problem:
    where: str
    message: str
    advisory_id: str | None = None


Item = Entry | Problem


class AdvisorySource(ABC):
    kind: str  # directory | zip | bucket
    location: str

    @abstractmethod
    def entries(self, progress: Progress = NULL_PROGRESS) -> Iterator[Item]:
        """Every record the source holds, as bytes to decode, and what had to be skipped."""

    def ecosystems(self) -> list[str] | None:
        """The ecosystems a source is restricted to (buckets), None for all."""
        return None
