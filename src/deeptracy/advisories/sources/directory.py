"""A directory of OSV records (.json, .yaml, .yml), walked recursively in a stable order.

Hidden directories (.git and the like) are not entered; symbolic links that lead outside the
directory and files over the per-record cap are refused and reported.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

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


class DirectorySource(AdvisorySource):
    kind = "directory"

    def __init__(self, root: Path, limits: Limits | None = None) -> None:
        self.root = root.resolve()
        self.location = str(self.root)
        self.limits = limits or Limits()

    def _files(self) -> list[Path]:
        found: list[Path] = []
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            found.extend(
                Path(dirpath) / f
                for f in sorted(filenames)
                if f.lower().endswith(RECORD_SUFFIXES) and not f.startswith(".")
            )
        return found

    def entries(self, progress: Progress = NULL_PROGRESS) -> Iterator[Item]:
        if not self.root.is_dir():
            raise SourceError(f"{self.root} is not a directory")
        files = self._files()
        task = progress.task(f"reading {self.root.name}", len(files))
        for path in files:
            task.advance()
            where = str(path)
            try:
                real = path.resolve(strict=True)
                if not real.is_relative_to(self.root):
                    yield Problem(where, "refused: a symbolic link leading outside the directory")
                    continue
                size = real.stat().st_size
                if size > self.limits.max_entry_bytes:
                    yield Problem(
                        where,
                        f"refused: {size:,} bytes, over the {self.limits.max_entry_bytes:,}-byte "
                        "limit for one record",
                    )
                    continue
                with real.open("rb") as handle:
                    payload = handle.read(self.limits.max_entry_bytes + 1)
            except OSError as exc:
                yield Problem(where, f"unreadable: {exc.strerror or exc}")
                continue
            yield Entry(where, payload)
        task.finish()
