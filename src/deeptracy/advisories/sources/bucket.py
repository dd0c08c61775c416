"""A base URL laid out like the OSV export bucket:

    <BASE>/<ECOSYSTEM>/all.zip          every record of the ecosystem
    <BASE>/<ECOSYSTEM>/modified_id.csv  "<modified>,<id>" lines, newest first
    <BASE>/<ECOSYSTEM>/<ID>.json        one record
    <BASE>/ecosystems.txt or <BASE>/modified_id.csv ("<modified>,<ECOSYSTEM>/<id>")

The ecosystems to follow are given, or discovered from ecosystems.txt, or else from the
top-level modified_id.csv.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from deeptracy.advisories.http import HttpClient, HttpError, NotFound, TooLarge
from deeptracy.advisories.model import parse_timestamp
from deeptracy.advisories.progress import NULL_PROGRESS, Progress
from deeptracy.advisories.sources.archive import ZipSource
from deeptracy.advisories.sources.interface import (
    AdvisorySource,
    Entry,
    Item,
    Limits,
    Problem,
    SourceError,
)
from deeptracy.advisories.sources.remote import BorrowedFile


@dataclass(frozen=True, slots=True)
class Listing:
    """An ecosystem's modified_id.csv: (modified, id) rows as published, and bad lines."""

    rows: tuple[tuple[datetime, str], ...]
    problems: tuple[Problem, ...] = ()

    @property
    def newest(self) -> datetime | None:
        return max((m for m, _ in self.rows), default=None)


def parse_listing(text: str, where: str) -> Listing:
    rows: list[tuple[datetime, str]] = []
    problems: list[Problem] = []
    for number, line in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not line or not "".join(line).strip():
            continue
        if len(line) != 2 or not line[1].strip():
            problems.append(
                Problem(f"{where} line {number}", f"expected '<modified>,<id>': {line}")
            )
            continue
        try:
            modified = parse_timestamp(line[0], "modified")
        except ValueError as exc:
            problems.append(Problem(f"{where} line {number}", str(exc), line[1].strip()))
            continue
        rows.append((modified, line[1].strip()))
    return Listing(tuple(rows), tuple(problems))


class BucketSource(AdvisorySource):
    kind = "bucket"

    def __init__(
        self,
        base_url: str,
        ecosystems: list[str] | None,
        client: HttpClient,
        limits: Limits | None = None,
        workers: int = 8,
    ) -> None:
        self.location = base_url.rstrip("/")
        self._ecosystems = list(ecosystems) if ecosystems else None
        self.client = client
        self.limits = limits or Limits()
        self.workers = workers

    def url(self, *parts: str) -> str:
        return "/".join([self.location, *(quote(p, safe="") for p in parts)])

    def ecosystems(self) -> list[str] | None:
        return self._ecosystems

    def list_ecosystems(self) -> list[str]:
        if self._ecosystems:
            return self._ecosystems
        try:
            text = self.client.get(self.url("ecosystems.txt")).decode("utf-8")
            found = [line.strip() for line in text.splitlines() if line.strip()]
            if found:
                return found
        except NotFound:
            pass
        except (HttpError, UnicodeDecodeError) as exc:
            raise SourceError(f"cannot list the ecosystems of {self.location}: {exc}") from None
        try:
            text = self.client.get(
                self.url("modified_id.csv"), self.limits.max_download_bytes
            ).decode("utf-8")
        except (HttpError, UnicodeDecodeError) as exc:
            raise SourceError(
                f"{self.location} has neither ecosystems.txt nor modified_id.csv ({exc}); "
                "name the ecosystems to follow"
            ) from None
        listing = parse_listing(text, self.url("modified_id.csv"))
        found = sorted({i.split("/", 1)[0] for _, i in listing.rows if "/" in i})
        if not found:
            raise SourceError(f"{self.url('modified_id.csv')} names no ecosystem")
        return found

    def listing(self, ecosystem: str) -> Listing:
        url = self.url(ecosystem, "modified_id.csv")
        try:
            text = self.client.get(url, self.limits.max_download_bytes).decode("utf-8")
        except (HttpError, UnicodeDecodeError) as exc:
            raise SourceError(f"cannot read {url}: {exc}") from None
        return parse_listing(text, url)

    def download_zip(self, ecosystem: str, progress: Progress = NULL_PROGRESS) -> ZipSource:
        """all.zip of one ecosystem, downloaded into a temporary file (memory while small)."""
        url = self.url(ecosystem, "all.zip")
        spool = tempfile.SpooledTemporaryFile(max_size=64 * 1024 * 1024)  # noqa: SIM115
        try:
            self.client.download(
                url,
                spool,
                self.limits.max_download_bytes,
                progress,
                f"downloading {ecosystem}/all.zip",
            )
        except HttpError as exc:
            spool.close()
            raise SourceError(f"cannot download {url}: {exc}") from None
        # Read inside the import transaction; the file goes when the ZipSource does.
        return ZipSource(url, lambda: BorrowedFile(spool), self.limits, label=url)

    def fetch(
        self, ecosystem: str, ids: list[str], progress: Progress = NULL_PROGRESS
    ) -> list[Item]:
        """<ID>.json of each id, fetched concurrently; failures become Problems."""
        task = progress.task(f"fetching {ecosystem} records", len(ids))

        def one(advisory_id: str) -> Item:
            url = self.url(ecosystem, f"{advisory_id}.json")
            try:
                payload = self.client.get(url, self.limits.max_entry_bytes)
            except TooLarge:
                return Problem(
                    url,
                    f"refused: over the {self.limits.max_entry_bytes:,}-byte limit for one record",
                    advisory_id,
                )
            except NotFound:
                return Problem(
                    url, "listed in modified_id.csv but not found (HTTP 404)", advisory_id
                )
            except HttpError as exc:
                return Problem(url, str(exc), advisory_id)
            finally:
                task.advance()
            return Entry(url, payload, expected_id=advisory_id)

        with ThreadPoolExecutor(max_workers=max(1, self.workers)) as pool:
            items = list(pool.map(one, ids))
        task.finish()
        return items

    def entries(self, progress: Progress = NULL_PROGRESS) -> Iterator[Item]:
        for ecosystem in self.list_ecosystems():
            yield from self.download_zip(ecosystem, progress).entries(progress)
