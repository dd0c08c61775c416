"""An all.zip named by its URL (e.g. .../PyPI/all.zip): downloaded, then read like a file.

Unlike a bucket it has no modified_id.csv, so every sync reads it whole (unchanged records
cost a hash comparison, not a write).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator

from deeptracy.advisories.http import HttpClient, HttpError
from deeptracy.advisories.progress import NULL_PROGRESS, Progress
from deeptracy.advisories.sources.archive import ZipSource
from deeptracy.advisories.sources.interface import AdvisorySource, Item, Limits, SourceError


class RemoteZipSource(AdvisorySource):
    kind = "zip"

    def __init__(self, url: str, client: HttpClient, limits: Limits | None = None) -> None:
        self.location = url
        self.client = client
        self.limits = limits or Limits()

    def entries(self, progress: Progress = NULL_PROGRESS) -> Iterator[Item]:
        with tempfile.SpooledTemporaryFile(max_size=64 * 1024 * 1024) as spool:
            try:
                self.client.download(
                    self.location,
                    spool,
                    self.limits.max_download_bytes,
                    progress,
                    f"downloading {self.location.rsplit('/', 2)[-2]}/all.zip",
                )
            except HttpError as exc:
                raise SourceError(f"cannot download {self.location}: {exc}") from None
            spool.seek(0)
            yield from ZipSource(self.location, lambda: BorrowedFile(spool), self.limits).entries(
                progress
            )


class BorrowedFile:
    """The spooled download, lent to ZipSource without letting it close the file."""

    def __init__(self, handle: tempfile.SpooledTemporaryFile[bytes]) -> None:
        self._handle = handle

    def __enter__(self) -> tempfile.SpooledTemporaryFile[bytes]:
        self._handle.seek(0)
        return self._handle

    def __exit__(self, *exc: object) -> None:
        return None
