"""Queries over the advisory tables, returning frozen values (ORM rows stay in here).

The delta functions are what continuous monitoring reads: `latest_runs` to find runs it has
not processed, `get_delta` for one run's new / modified / withdrawn ids and the (ecosystem,
normalized name) pairs they touch, `changed_packages_since` for everything after a run.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from deeptracy.store.base import utcnow
from deeptracy.store.models import (
    Advisory,
    AdvisoryChange,
    AdvisoryChangePackage,
    AdvisoryCursor,
    AdvisoryPackage,
    AdvisoryRun,
    AdvisorySource,
)

_CHUNK = 500


@dataclass(frozen=True, slots=True)
class SourceInfo:
    id: int
    kind: str
    location: str
    ecosystems: tuple[str, ...] | None
    created_at: datetime

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "kind": self.kind,
            "location": self.location,
            "ecosystems": list(self.ecosystems) if self.ecosystems else None,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class CursorInfo:
    source_id: int
    ecosystem: str
    synced_at: datetime
    newest_modified: datetime | None
    listed: int
    mode: str

    def to_dict(self) -> dict[str, object]:
        return {
            "ecosystem": self.ecosystem,
            "synced_at": self.synced_at.isoformat(),
            "newest_modified": self.newest_modified.isoformat() if self.newest_modified else None,
            "listed": self.listed,
            "mode": self.mode,
        }


@dataclass(frozen=True, slots=True)
class RunInfo:
    id: int
    kind: str
    source_id: int | None
    source: str | None
    started_at: datetime
    finished_at: datetime | None
    new: int
    modified: int
    withdrawn: int
    unchanged: int
    skipped: int

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "kind": self.kind,
            "source": self.source,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "new": self.new,
            "modified": self.modified,
            "withdrawn": self.withdrawn,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
        }


@dataclass(frozen=True, slots=True)
class Delta:
    """What one run changed: ids by kind and every package a change touches."""

    run: RunInfo
    new: tuple[str, ...]
    modified: tuple[str, ...]
    withdrawn: tuple[str, ...]
    packages: tuple[tuple[str, str], ...]  # (ecosystem, normalized name), sorted
    packages_by_advisory: dict[str, tuple[tuple[str, str], ...]]

    def to_dict(self) -> dict[str, object]:
        return {
            "run": self.run.to_dict(),
            "new": list(self.new),
            "modified": list(self.modified),
            "withdrawn": list(self.withdrawn),
            "packages": [{"ecosystem": e, "name": n} for e, n in self.packages],
        }


@dataclass(frozen=True, slots=True)
class EcosystemCount:
    ecosystem: str
    records: int  # distinct records naming a package of this ecosystem, withdrawn included
    withdrawn: int
    packages: int


@dataclass(frozen=True, slots=True)
class Status:
    ecosystems: tuple[EcosystemCount, ...]
    records: int
    withdrawn: int
    sources: tuple[tuple[SourceInfo, tuple[CursorInfo, ...], RunInfo | None], ...]
    last_run: RunInfo | None

    def to_dict(self) -> dict[str, object]:
        return {
            "records": self.records,
            "withdrawn": self.withdrawn,
            "ecosystems": [
                {
                    "ecosystem": e.ecosystem,
                    "records": e.records,
                    "withdrawn": e.withdrawn,
                    "packages": e.packages,
                }
                for e in self.ecosystems
            ],
            "sources": [
                {
                    **source.to_dict(),
                    "cursors": [c.to_dict() for c in cursors],
                    "last_run": run.to_dict() if run else None,
                }
                for source, cursors, run in self.sources
            ],
            "last_run": self.last_run.to_dict() if self.last_run else None,
        }


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


# ---- sources and cursors ------------------------------------------------------------------------


def _source_info(row: AdvisorySource) -> SourceInfo:
    return SourceInfo(
        row.id,
        row.kind,
        row.location,
        tuple(row.ecosystems) if row.ecosystems else None,
        row.created_at,
    )


def remember_source(
    session: Session, kind: str, location: str, ecosystems: Sequence[str] | None = None
) -> SourceInfo:
    """The source row for `location`, created on first use; its ecosystems set to those given
    (None: every ecosystem the source lists)."""
    row = session.execute(
        select(AdvisorySource).where(AdvisorySource.location == location)
    ).scalar_one_or_none()
    if row is None:
        row = AdvisorySource(
            kind=kind,
            location=location,
            ecosystems=list(ecosystems) if ecosystems else None,
            created_at=utcnow(),
        )
        session.add(row)
        session.flush()
    elif (list(ecosystems) if ecosystems else None) != (row.ecosystems or None):
        row.ecosystems = list(ecosystems) if ecosystems else None
        session.flush()
    return _source_info(row)


def list_sources(session: Session) -> list[SourceInfo]:
    rows = session.execute(select(AdvisorySource).order_by(AdvisorySource.id)).scalars()
    return [_source_info(r) for r in rows]


def find_source(session: Session, location: str) -> SourceInfo | None:
    row = session.execute(
        select(AdvisorySource).where(AdvisorySource.location == location)
    ).scalar_one_or_none()
    return _source_info(row) if row else None


def cursors(session: Session, source_id: int) -> dict[str, CursorInfo]:
    rows = session.execute(
        select(AdvisoryCursor).where(AdvisoryCursor.source_id == source_id)
    ).scalars()
    return {
        r.ecosystem: CursorInfo(
            r.source_id, r.ecosystem, r.synced_at, r.newest_modified, r.listed, r.mode
        )
        for r in rows
    }


def save_cursor(
    session: Session,
    source_id: int,
    ecosystem: str,
    *,
    newest_modified: datetime | None,
    listed: int,
    mode: str,
) -> None:
    row = session.get(AdvisoryCursor, (source_id, ecosystem))
    if row is None:
        row = AdvisoryCursor(source_id=source_id, ecosystem=ecosystem)
        session.add(row)
    row.synced_at = utcnow()
    row.newest_modified = newest_modified
    row.listed = listed
    row.mode = mode
    session.flush()


# ---- records --------------------------------------------------------------------------------


def modified_times(session: Session, ids: Sequence[str]) -> dict[str, datetime]:
    """The stored `modified` of each id that is stored."""
    found: dict[str, datetime] = {}
    for chunk in _chunks(list(ids)):
        for advisory_id, modified in session.execute(
            select(Advisory.id, Advisory.modified).where(Advisory.id.in_(chunk))
        ):
            found[advisory_id] = modified
    return found


def get_record(session: Session, advisory_id: str) -> dict[str, Any] | None:
    """The OSV record as imported (withdrawn ones too), or None."""
    raw = session.execute(
        select(Advisory.record).where(Advisory.id == advisory_id)
    ).scalar_one_or_none()
    if raw is None:
        return None
    record: dict[str, Any] = json.loads(raw)
    return record


def get_records(session: Session, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(list(ids)):
        for advisory_id, raw in session.execute(
            select(Advisory.id, Advisory.record).where(Advisory.id.in_(chunk))
        ):
            found[advisory_id] = json.loads(raw)
    return found


# ---- runs and deltas ----------------------------------------------------------------------------


def _run_query() -> Any:
    return select(AdvisoryRun, AdvisorySource.location).outerjoin(
        AdvisorySource, AdvisorySource.id == AdvisoryRun.source_id
    )


def _run_info(row: AdvisoryRun, location: str | None) -> RunInfo:
    return RunInfo(
        id=row.id,
        kind=row.kind,
        source_id=row.source_id,
        source=location,
        started_at=row.started_at,
        finished_at=row.finished_at,
        new=row.new_count,
        modified=row.modified_count,
        withdrawn=row.withdrawn_count,
        unchanged=row.unchanged_count,
        skipped=row.skipped_count,
    )


def latest_runs(
    session: Session,
    limit: int = 20,
    *,
    after_id: int | None = None,
    source_id: int | None = None,
) -> list[RunInfo]:
    """Runs newest first; `after_id` keeps only later runs (what a consumer has not seen)."""
    query = _run_query().order_by(AdvisoryRun.id.desc()).limit(limit)
    if after_id is not None:
        query = query.where(AdvisoryRun.id > after_id)
    if source_id is not None:
        query = query.where(AdvisoryRun.source_id == source_id)
    return [_run_info(run, location) for run, location in session.execute(query)]


def get_run(session: Session, run_id: int) -> RunInfo | None:
    row = session.execute(_run_query().where(AdvisoryRun.id == run_id)).first()
    return _run_info(row[0], row[1]) if row else None


def run_problems(session: Session, run_id: int) -> list[dict[str, str | None]]:
    problems = session.execute(
        select(AdvisoryRun.problems).where(AdvisoryRun.id == run_id)
    ).scalar_one_or_none()
    return list(problems or [])


def get_delta(session: Session, run_id: int) -> Delta | None:
    run = get_run(session, run_id)
    if run is None:
        return None
    by_kind: dict[str, list[str]] = defaultdict(list)
    for advisory_id, change in session.execute(
        select(AdvisoryChange.advisory_id, AdvisoryChange.change)
        .where(AdvisoryChange.run_id == run_id)
        .order_by(AdvisoryChange.advisory_id)
    ):
        by_kind[change].append(advisory_id)
    by_advisory: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for advisory_id, ecosystem, name in session.execute(
        select(
            AdvisoryChangePackage.advisory_id,
            AdvisoryChangePackage.ecosystem,
            AdvisoryChangePackage.name,
        )
        .where(AdvisoryChangePackage.run_id == run_id)
        .order_by(AdvisoryChangePackage.ecosystem, AdvisoryChangePackage.name)
    ):
        by_advisory[advisory_id].append((ecosystem, name))
    packages = sorted({p for pairs in by_advisory.values() for p in pairs})
    return Delta(
        run=run,
        new=tuple(by_kind["new"]),
        modified=tuple(by_kind["modified"]),
        withdrawn=tuple(by_kind["withdrawn"]),
        packages=tuple(packages),
        packages_by_advisory={k: tuple(v) for k, v in by_advisory.items()},
    )


def changed_packages_since(session: Session, after_run_id: int) -> set[tuple[str, str]]:
    """Every (ecosystem, normalized name) a change after `after_run_id` touched."""
    rows = session.execute(
        select(AdvisoryChangePackage.ecosystem, AdvisoryChangePackage.name)
        .where(AdvisoryChangePackage.run_id > after_run_id)
        .distinct()
    )
    return {(e, n) for e, n in rows}


# ---- status -----------------------------------------------------------------------------------


def status(session: Session) -> Status:
    counts = session.execute(
        select(
            AdvisoryPackage.ecosystem,
            func.count(distinct(AdvisoryPackage.advisory_id)),
            func.count(distinct(AdvisoryPackage.name)),
        )
        .group_by(AdvisoryPackage.ecosystem)
        .order_by(AdvisoryPackage.ecosystem)
    ).all()
    withdrawn = dict(
        session.execute(
            select(AdvisoryPackage.ecosystem, func.count(distinct(AdvisoryPackage.advisory_id)))
            .join(Advisory, Advisory.id == AdvisoryPackage.advisory_id)
            .where(Advisory.withdrawn.is_not(None))
            .group_by(AdvisoryPackage.ecosystem)
        ).all()
    )
    total = session.execute(select(func.count()).select_from(Advisory)).scalar_one()
    total_withdrawn = session.execute(
        select(func.count()).select_from(Advisory).where(Advisory.withdrawn.is_not(None))
    ).scalar_one()
    sources = []
    for source in list_sources(session):
        runs = latest_runs(session, 1, source_id=source.id)
        sources.append(
            (
                source,
                tuple(sorted(cursors(session, source.id).values(), key=lambda c: c.ecosystem)),
                runs[0] if runs else None,
            )
        )
    last = latest_runs(session, 1)
    return Status(
        ecosystems=tuple(
            EcosystemCount(eco, int(records), int(withdrawn.get(eco, 0)), int(packages))
            for eco, records, packages in counts
        ),
        records=int(total),
        withdrawn=int(total_withdrawn),
        sources=tuple(sources),
        last_run=last[0] if last else None,
    )
