"""Import and sync: read a source, then write it in one transaction with its delta.

A bucket source is synced per ecosystem. Without a cursor for the ecosystem (first time, or
`full`), all.zip is read. Otherwise modified_id.csv is read and only the records it lists with
a `modified` newer than the stored one (or not stored at all) are fetched one by one; when
more than `full_threshold` records changed, all.zip is cheaper and is read instead.

The listing is compared with what is stored rather than walked down to the previous sync's
newest time, because real exports list records whose `modified` predates it: PyPA's
PYSEC-2024-55 says "1-01-01T00:00:00Z", and every Go record says "0001-01-01T00:00:00Z".

Network work happens before the transaction, so the database is locked only while writing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from deeptracy.advisories.http import HttpClient
from deeptracy.advisories.importer import Importer, RunReport
from deeptracy.advisories.progress import NULL_PROGRESS, Progress
from deeptracy.advisories.sources import (
    AdvisorySource,
    BucketSource,
    Item,
    Limits,
    SourceError,
    ZipSource,
    open_source,
)
from deeptracy.advisories.sources.bucket import Listing
from deeptracy.advisories.store import (
    cursors,
    find_source,
    list_sources,
    modified_times,
    remember_source,
    save_cursor,
)
from deeptracy.store.db import Database

FULL, INCREMENTAL = "full", "incremental"


@dataclass(frozen=True, slots=True)
class SyncOutcome:
    reports: tuple[RunReport, ...] = ()
    failures: tuple[tuple[str, str], ...] = ()  # (source location, why it could not be read)


@dataclass
class _Plan:
    ecosystem: str
    listing: Listing
    mode: str
    archive: ZipSource | None = None
    items: list[Item] = field(default_factory=list)


def import_location(
    db: Database,
    location: str,
    *,
    client: HttpClient,
    ecosystems: Sequence[str] | None = None,
    limits: Limits | None = None,
    progress: Progress = NULL_PROGRESS,
) -> RunReport:
    """Import everything a directory, zip file or bucket URL holds, and remember the source.

    Raises SourceError when the source cannot be read; the database is then unchanged.
    """
    source = open_source(
        location, client=client, ecosystems=list(ecosystems or []) or None, limits=limits
    )
    if isinstance(source, BucketSource):
        return _bucket_run(db, source, kind="import", full=True, progress=progress)
    return import_source(db, source, kind="import", progress=progress)


def sync_sources(
    db: Database,
    *,
    client: HttpClient,
    locations: Sequence[str] | None = None,
    full: bool = False,
    full_threshold: int = 1000,
    limits: Limits | None = None,
    progress: Progress = NULL_PROGRESS,
) -> SyncOutcome:
    """Sync every remembered source (or those named); one run per source."""
    with db.session() as session:
        known = list_sources(session)
    if locations:
        wanted = set(locations)
        chosen = [s for s in known if s.location in wanted]
        missing = wanted - {s.location for s in chosen}
        if missing:
            raise SourceError(
                f"not a remembered source: {', '.join(sorted(missing))} "
                "(import it first with `deeptracy advisories import`)"
            )
    else:
        chosen = known
    reports: list[RunReport] = []
    failures: list[tuple[str, str]] = []
    for info in chosen:
        try:
            source = open_source(
                info.location,
                client=client,
                ecosystems=list(info.ecosystems) if info.ecosystems else None,
                limits=limits,
            )
            if isinstance(source, BucketSource):
                report = _bucket_run(
                    db,
                    source,
                    kind="sync",
                    full=full,
                    full_threshold=full_threshold,
                    progress=progress,
                )
            else:
                report = import_source(db, source, kind="sync", progress=progress)
        except SourceError as exc:
            failures.append((info.location, str(exc)))
            continue
        reports.append(report)
    return SyncOutcome(tuple(reports), tuple(failures))


def import_source(
    db: Database,
    source: AdvisorySource,
    *,
    kind: str = "import",
    progress: Progress = NULL_PROGRESS,
) -> RunReport:
    """Read every record of `source` in one transaction: an error or an interruption while
    reading or writing rolls everything back, the run included."""
    with db.session() as session:
        importer = Importer(session, kind=kind, progress=progress)
        importer.start()
        info = remember_source(session, source.kind, source.location)
        importer.set_source(info.id, info.location)
        importer.feed(source.entries(progress))
        return importer.finish()


def _bucket_run(
    db: Database,
    source: BucketSource,
    *,
    kind: str,
    full: bool,
    full_threshold: int = 1000,
    progress: Progress,
) -> RunReport:
    ecosystems = source.list_ecosystems()
    with db.session() as session:
        known = find_source(session, source.location)
        previous = cursors(session, known.id) if known else {}
    plans: list[_Plan] = []
    for ecosystem in ecosystems:
        listing = source.listing(ecosystem)
        if full or ecosystem not in previous:
            plans.append(
                _Plan(ecosystem, listing, FULL, archive=source.download_zip(ecosystem, progress))
            )
            continue
        ids = list(dict.fromkeys(advisory_id for _, advisory_id in listing.rows))
        with db.session() as session:
            stored = modified_times(session, ids)
        changed = list(
            dict.fromkeys(
                advisory_id
                for modified, advisory_id in listing.rows
                if advisory_id not in stored or modified > stored[advisory_id]
            )
        )
        if len(changed) > full_threshold:
            plans.append(
                _Plan(ecosystem, listing, FULL, archive=source.download_zip(ecosystem, progress))
            )
        else:
            items = source.fetch(ecosystem, changed, progress) if changed else []
            plans.append(_Plan(ecosystem, listing, INCREMENTAL, items=items))

    with db.session() as session:
        importer = Importer(session, kind=kind, progress=progress)
        importer.start()
        info = remember_source(session, source.kind, source.location, source.ecosystems())
        importer.set_source(info.id, info.location)
        for plan in plans:
            importer.feed(plan.listing.problems)
            if plan.archive is not None:
                importer.feed(plan.archive.entries(progress))
                importer.notes.append(f"{plan.ecosystem}: all.zip read in full")
            else:
                importer.feed(plan.items)
                importer.notes.append(
                    f"{plan.ecosystem}: {len(plan.items)} of {len(plan.listing.rows)} listed "
                    "records fetched (modified since stored)"
                )
            save_cursor(
                session,
                info.id,
                plan.ecosystem,
                newest_modified=plan.listing.newest,
                listed=len(plan.listing.rows),
                mode=plan.mode,
            )
        return importer.finish()
