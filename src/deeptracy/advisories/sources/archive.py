"""An OSV `all.zip`: entries are read in memory with bounded reads, never extracted to disk.

Refused, and reported: entries with absolute paths or '..' segments, entries larger than the
per-record cap (declared or actually decompressed), and entries whose compression ratio only a
zip bomb has. Refused as a whole (SourceError): an archive that is not a zip, has too many
entries, or decompresses past the total cap.
"""

from __future__ import annotations

import lzma
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import IO

from deeptracy.advisories.progress import NULL_PROGRESS, Progress
from deeptracy.advisories.sources.interface import (
    RECORD_SUFFIXES,
    AdvisorySource,
    Entry,
    Item,
    Limits,
    Problem,
    SourceError,
)

_DRIVE = re.compile(r"^[A-Za-z]:")
# What a damaged or unsupported entry raises: CRC and header errors, decompressor errors,
# encryption (RuntimeError) and unknown compression methods (NotImplementedError).
_ENTRY_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    OSError,
    RuntimeError,
    ValueError,
    EOFError,
)


def unsafe_member_name(name: str) -> str | None:
    """Why a member name is refused (absolute, drive, traversal, NUL), or None."""
    if "\x00" in name:
        return "its name contains a NUL byte"
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        return "its path is absolute"
    if any(part == ".." for part in re.split(r"[\\/]", name)):
        return "its path climbs out of the archive ('..')"
    return None


class ZipSource(AdvisorySource):
    kind = "zip"

    def __init__(
        self,
        location: str,
        opener: Callable[[], AbstractContextManager[IO[bytes]]] | None = None,
        limits: Limits | None = None,
        label: str | None = None,
    ) -> None:
        self.location = location
        self.label = label or location
        self.limits = limits or Limits()
        self._opener = opener

    @classmethod
    def from_path(cls, path: Path, limits: Limits | None = None) -> ZipSource:
        return cls(str(path.resolve()), lambda: path.open("rb"), limits)

    def entries(self, progress: Progress = NULL_PROGRESS) -> Iterator[Item]:
        opener = self._opener or (lambda: Path(self.location).open("rb"))  # noqa: SIM115
        try:
            handle_cm = opener()
        except OSError as exc:
            raise SourceError(f"cannot open {self.label}: {exc.strerror or exc}") from None
        with handle_cm as handle:
            try:
                archive = zipfile.ZipFile(handle)
            except (zipfile.BadZipFile, OSError, ValueError) as exc:
                raise SourceError(f"{self.label} is not a readable zip archive: {exc}") from None
            with archive:
                yield from self._read(archive, progress)

    def _read(self, archive: zipfile.ZipFile, progress: Progress) -> Iterator[Item]:
        limits = self.limits
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) > limits.max_entries:
            raise SourceError(
                f"{self.label} has {len(members):,} entries, over the limit of "
                f"{limits.max_entries:,}; refused"
            )
        name = "/".join(self.label.replace("\\", "/").rsplit("/", 2)[-2:])
        task = progress.task(f"reading {name}", len(members))
        total = 0
        for member in members:
            task.advance()
            where = f"{self.label}!{member.filename}"
            refusal = unsafe_member_name(member.filename)
            if refusal:
                yield Problem(where, f"zip entry refused: {refusal}")
                continue
            if not member.filename.lower().endswith(RECORD_SUFFIXES):
                continue  # READMEs and such: not records
            if member.file_size > limits.max_entry_bytes:
                yield Problem(
                    where,
                    f"zip entry refused: it declares {member.file_size:,} bytes, over the "
                    f"{limits.max_entry_bytes:,}-byte limit for one record",
                )
                continue
            if (
                member.file_size > limits.ratio_floor_bytes
                and member.file_size > limits.max_ratio * max(member.compress_size, 1)
            ):
                ratio = member.file_size / max(member.compress_size, 1)
                yield Problem(
                    where,
                    f"zip entry refused: compression ratio {ratio:,.0f}:1 is over "
                    f"{limits.max_ratio:,.0f}:1 (zip bomb?)",
                )
                continue
            try:
                with archive.open(member) as stream:
                    # Bounded read: a lying header cannot make us inflate more than the cap.
                    payload = stream.read(limits.max_entry_bytes + 1)
            except _ENTRY_ERRORS as exc:
                yield Problem(where, f"zip entry unreadable: {exc}")
                continue
            if len(payload) > limits.max_entry_bytes:
                yield Problem(
                    where,
                    f"zip entry refused: it inflates past the {limits.max_entry_bytes:,}-byte "
                    "limit for one record (its header understates its size)",
                )
                continue
            total += len(payload)
            if total > limits.max_total_bytes:
                raise SourceError(
                    f"{self.label} inflates past {limits.max_total_bytes:,} bytes in total; "
                    "refused as a probable zip bomb"
                )
            yield Entry(where, payload)
        task.finish()
