"""Writing records: one transaction per import, bulk inserts, and the run's delta.

Each incoming record is compared with the stored one: absent → new; same content, or older
than what is stored → unchanged; otherwise modified, or withdrawn when it newly carries a
`withdrawn` time. The delta (changed ids, and every (ecosystem, normalized name) a change
touches before or after it) is written in the same transaction, so monitoring never sees a
delta without its records or records without their delta.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, delete, insert, select, text, update
from sqlalchemy.orm import Session

from deeptracy.advisories.model import Affected, InvalidRecord, OsvRecord, load_record
from deeptracy.advisories.progress import NULL_PROGRESS, Progress
from deeptracy.advisories.sources.interface import Entry, Item, Problem
from deeptracy.store.base import utcnow
from deeptracy.store.models import (
    Advisory,
    AdvisoryChange,
    AdvisoryChangePackage,
    AdvisoryPackage,
    AdvisoryRun,
)

log = logging.getLogger(__name__)
ADVISORIES = cast(Table, Advisory.__table__)

NEW, MODIFIED, WITHDRAWN = "new", "modified", "withdrawn"
_LOCK_ID = 0x6164_7673  # "advs": one writer of advisories at a time (PostgreSQL)
_MAX_STORED_PROBLEMS = 1000
_CHUNK = 500  # ids per IN (...) list


@dataclass(frozen=True, slots=True)
class Skipped:
    where: str
    message: str
    advisory_id: str | None = None

    def __str__(self) -> str:
        label = self.advisory_id or self.where
        if self.advisory_id and self.where:
            label = f"{self.advisory_id} ({self.where})"
        return f"{label}: {self.message}"

    def to_dict(self) -> dict[str, str | None]:
        return {"where": self.where, "id": self.advisory_id, "message": self.message}


@dataclass(frozen=True, slots=True)
class RunReport:
    """What one import or sync did; `skipped` non-empty means the command exits 1."""

    run_id: int
    kind: str
    source: str | None
    started_at: datetime
    finished_at: datetime
    new: tuple[str, ...] = ()
    modified: tuple[str, ...] = ()
    withdrawn: tuple[str, ...] = ()
    unchanged: int = 0
    skipped: tuple[Skipped, ...] = ()
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # e.g. which ecosystems synced incrementally

    @property
    def ok(self) -> bool:
        return not self.skipped

    def to_dict(self) -> dict[str, object]:
        return {
            "run_id": self.run_id,
            "kind": self.kind,
            "source": self.source,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat(),
            "new": len(self.new),
            "modified": len(self.modified),
            "withdrawn": len(self.withdrawn),
            "unchanged": self.unchanged,
            "skipped": [s.to_dict() for s in self.skipped],
            "warnings": list(self.warnings),
            "notes": list(self.notes),
        }


def _chunks(items: Sequence[str], size: int = _CHUNK) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def lock_advisories(session: Session) -> None:
    """Serialise advisory writers. PostgreSQL: a transaction-scoped advisory lock; SQLite: the
    first write (the run row) takes the database's write lock."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})


@dataclass
class _Pending:
    records: dict[str, OsvRecord] = field(default_factory=dict)

    def add(self, record: OsvRecord) -> None:
        current = self.records.get(record.id)
        if current is None or record.modified >= current.modified:
            self.records[record.id] = record


class Importer:
    """Feeds records into an open session; call `start`, `add`... then `finish`.

    Nothing is committed here: the caller owns the transaction (see `run_import`).
    """

    def __init__(
        self,
        session: Session,
        *,
        kind: str,
        source_id: int | None = None,
        source: str | None = None,
        batch_size: int = 1000,
        progress: Progress = NULL_PROGRESS,
    ) -> None:
        self.session = session
        self.kind = kind
        self.source_id = source_id
        self.source = source
        self.batch_size = batch_size
        self.progress = progress
        self.run_id = 0
        self.started_at = utcnow()
        self._pending = _Pending()
        self._changes: dict[str, str] = {}
        self._seen: dict[str, datetime] = {}  # ids written by this run, at which modified
        self._recorded_packages: set[tuple[str, str, str]] = set()
        self._unchanged = 0
        self._skipped: list[Skipped] = []
        self._warnings: list[str] = []
        self.notes: list[str] = []

    # ---- lifecycle ----------------------------------------------------------------------------

    def start(self) -> int:
        lock_advisories(self.session)
        self.run_id = int(
            self.session.execute(
                insert(AdvisoryRun)
                .values(
                    source_id=self.source_id,
                    kind=self.kind,
                    started_at=self.started_at,
                    new_count=0,
                    modified_count=0,
                    withdrawn_count=0,
                    unchanged_count=0,
                    skipped_count=0,
                    problems=[],
                )
                .returning(AdvisoryRun.id)
            ).scalar_one()
        )
        return self.run_id

    def set_source(self, source_id: int, source: str) -> None:
        self.source_id, self.source = source_id, source

    def feed(self, items: Iterable[Item]) -> None:
        for item in items:
            self.add(item)

    def add(self, item: Item | OsvRecord) -> None:
        if isinstance(item, Problem):
            self.skip(item.where, item.message, item.advisory_id)
            return
        if isinstance(item, Entry):
            try:
                record = load_record(item.payload, item.where)
            except InvalidRecord as exc:
                self.skip(exc.where or item.where, exc.message, exc.advisory_id)
                return
            if item.expected_id and record.id != item.expected_id:
                self.skip(
                    item.where,
                    f"the file holds record {record.id!r}, not {item.expected_id!r}",
                    item.expected_id,
                )
                return
        else:
            record = item
        self._warnings.extend(f"{record.id}: {w}" for w in record.warnings)
        self._pending.add(record)
        if len(self._pending.records) >= self.batch_size:
            self.flush()

    def skip(self, where: str, message: str, advisory_id: str | None = None) -> None:
        # Reported in the run's summary (and stored with the run); debug-level here only.
        log.debug("skipped %s: %s", advisory_id or where, message)
        self._skipped.append(Skipped(where, message, advisory_id))

    def finish(self) -> RunReport:
        self.flush()
        finished = utcnow()
        by_kind: dict[str, list[str]] = {NEW: [], MODIFIED: [], WITHDRAWN: []}
        for advisory_id, change in sorted(self._changes.items()):
            by_kind[change].append(advisory_id)
        self.session.execute(
            update(AdvisoryRun)
            .where(AdvisoryRun.id == self.run_id)
            .values(
                source_id=self.source_id,
                finished_at=finished,
                new_count=len(by_kind[NEW]),
                modified_count=len(by_kind[MODIFIED]),
                withdrawn_count=len(by_kind[WITHDRAWN]),
                unchanged_count=self._unchanged,
                skipped_count=len(self._skipped),
                problems=[s.to_dict() for s in self._skipped[:_MAX_STORED_PROBLEMS]],
            )
        )
        log.info(
            "advisory %s #%s of %s: %d new, %d modified, %d withdrawn, %d unchanged, %d skipped",
            self.kind,
            self.run_id,
            self.source,
            len(by_kind[NEW]),
            len(by_kind[MODIFIED]),
            len(by_kind[WITHDRAWN]),
            self._unchanged,
            len(self._skipped),
        )
        return RunReport(
            run_id=self.run_id,
            kind=self.kind,
            source=self.source,
            started_at=self.started_at,
            finished_at=finished,
            new=tuple(by_kind[NEW]),
            modified=tuple(by_kind[MODIFIED]),
            withdrawn=tuple(by_kind[WITHDRAWN]),
            unchanged=self._unchanged,
            skipped=tuple(self._skipped),
            warnings=tuple(self._warnings),
            notes=tuple(self.notes),
        )

    # ---- writing ------------------------------------------------------------------------------

    def flush(self) -> None:
        batch = list(self._pending.records.values())
        self._pending = _Pending()
        if not batch:
            return
        for record in batch:
            seen = self._seen.get(record.id)
            if seen is not None and record.modified < seen:
                self._unchanged += 1  # an older copy of a record this run already wrote
        batch = [r for r in batch if r.id not in self._seen or r.modified >= self._seen[r.id]]
        ids = [r.id for r in batch]
        stored: dict[str, tuple[datetime, str, bool]] = {}
        for chunk in _chunks(ids):
            for row in self.session.execute(
                select(
                    Advisory.id, Advisory.modified, Advisory.content_hash, Advisory.withdrawn
                ).where(Advisory.id.in_(chunk))
            ):
                stored[row.id] = (row.modified, row.content_hash, row.withdrawn is not None)

        inserts: list[OsvRecord] = []
        updates: list[OsvRecord] = []
        changes: dict[str, str] = {}
        for record in batch:
            old = stored.get(record.id)
            if old is None:
                inserts.append(record)
                changes[record.id] = NEW
            elif record.modified < old[0] or record.content_hash == old[1]:
                self._unchanged += 1
            else:
                updates.append(record)
                newly_withdrawn = record.withdrawn is not None and not old[2]
                changes[record.id] = WITHDRAWN if newly_withdrawn else MODIFIED

        previous_packages: dict[str, set[tuple[str, str]]] = {}
        update_ids = [r.id for r in updates]
        for chunk in _chunks(update_ids):
            for advisory_id, ecosystem, name in self.session.execute(
                select(
                    AdvisoryPackage.advisory_id, AdvisoryPackage.ecosystem, AdvisoryPackage.name
                ).where(AdvisoryPackage.advisory_id.in_(chunk))
            ):
                previous_packages.setdefault(advisory_id, set()).add((ecosystem, name))
            self.session.execute(
                delete(AdvisoryPackage).where(AdvisoryPackage.advisory_id.in_(chunk))
            )

        now = utcnow()
        if inserts:
            self.session.execute(insert(Advisory), [self._advisory_row(r, now) for r in inserts])
        if updates:
            changed_rows = [
                {"b_id": r.id, **{k: v for k, v in self._advisory_row(r, now).items() if k != "id"}}
                for r in updates
            ]
            self.session.connection().execute(
                update(ADVISORIES)
                .where(ADVISORIES.c.id == bindparam("b_id"))
                .values({k: bindparam(k) for k in changed_rows[0] if k != "b_id"}),
                changed_rows,
            )
        package_rows = [self._package_row(r, a) for r in (*inserts, *updates) for a in r.affected]
        if package_rows:
            self.session.execute(insert(AdvisoryPackage), package_rows)

        self._record_delta(changes, (*inserts, *updates), previous_packages)
        for record in (*inserts, *updates):
            self._seen[record.id] = record.modified

    def _record_delta(
        self,
        changes: dict[str, str],
        records: Sequence[OsvRecord],
        previous: dict[str, set[tuple[str, str]]],
    ) -> None:
        change_rows = []
        package_rows = []
        for record in records:
            change = changes[record.id]
            if record.id not in self._changes:
                self._changes[record.id] = change
                change_rows.append(
                    {"run_id": self.run_id, "advisory_id": record.id, "change": change}
                )
            elif change == WITHDRAWN and self._changes[record.id] == MODIFIED:
                self._changes[record.id] = WITHDRAWN  # a later copy in this run withdrew it
                self.session.execute(
                    update(AdvisoryChange)
                    .where(
                        AdvisoryChange.run_id == self.run_id,
                        AdvisoryChange.advisory_id == record.id,
                    )
                    .values(change=WITHDRAWN)
                )
            for ecosystem, name in sorted(record.packages() | previous.get(record.id, set())):
                key = (record.id, ecosystem, name)
                if key not in self._recorded_packages:
                    self._recorded_packages.add(key)
                    package_rows.append(
                        {
                            "run_id": self.run_id,
                            "advisory_id": record.id,
                            "ecosystem": ecosystem,
                            "name": name,
                        }
                    )
        if change_rows:
            self.session.execute(insert(AdvisoryChange), change_rows)
        if package_rows:
            self.session.execute(insert(AdvisoryChangePackage), package_rows)

    def _advisory_row(self, record: OsvRecord, now: datetime) -> dict[str, object]:
        return {
            "id": record.id,
            "modified": record.modified,
            "published": record.published,
            "withdrawn": record.withdrawn,
            "summary": record.title,
            "aliases": list(record.aliases),
            "severity": record.severity.severity.value,
            "score": record.severity.score,
            "vector": record.severity.vector,
            "content_hash": record.content_hash,
            "record": record.raw_json,
            "source_id": self.source_id,
            "imported_at": now,
        }

    @staticmethod
    def _package_row(record: OsvRecord, affected: Affected) -> dict[str, object]:
        severity = affected.severity or record.severity
        return {
            "advisory_id": record.id,
            "ecosystem": affected.ecosystem,
            "name": affected.key,
            "package": affected.name,
            "affected": affected.to_compact(),
            "severity": severity.severity.value,
            "score": severity.score,
            "vector": severity.vector,
        }
