"""A delta pushed from outside (the original's `POST /api/1/delta/`), run through monitoring.

Two forms, alone or together:

- `records`: OSV records (JSON objects). They are validated first; one invalid record refuses
  the whole request (nothing is imported) with a message per record. Valid ones are imported
  like any import, as one advisory run of kind `push` with its delta (records older than or
  equal to the stored ones change nothing).
- `advisory_ids`: ids already in the database to evaluate again (after a fix to a range, or to
  re-send alerts). They become one run of kind `recheck` whose delta lists them as modified
  (withdrawn when they are), with every package they name. Unknown ids refuse the request.

Monitoring then processes the new runs exactly as it processes a sync's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from deeptracy.advisories.importer import Importer, RunReport, lock_advisories
from deeptracy.advisories.model import InvalidRecord, OsvRecord, parse_record
from deeptracy.config import Settings
from deeptracy.events.monitoring import MonitorSummary, process_pending_runs
from deeptracy.store.base import utcnow
from deeptracy.store.db import Database
from deeptracy.store.models import (
    Advisory,
    AdvisoryChange,
    AdvisoryChangePackage,
    AdvisoryPackage,
    AdvisoryRun,
)

MAX_RECORDS = 1000
MAX_IDS = 1000
_CHUNK = 500


class DeltaError(ValueError):
    """A pushed delta that cannot be applied; `problems` has one line per bad item."""

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message if not problems else f"{message}: {'; '.join(problems[:20])}")
        self.problems = tuple(problems)


@dataclass(frozen=True, slots=True)
class ExternalDeltaResult:
    import_run: RunReport | None
    recheck_run_id: int | None
    rechecked: tuple[str, ...]
    monitoring: MonitorSummary

    def to_dict(self) -> dict[str, object]:
        return {
            "import": self.import_run.to_dict() if self.import_run else None,
            "recheck_run_id": self.recheck_run_id,
            "rechecked": list(self.rechecked),
            "monitoring": self.monitoring.to_dict(),
        }


def _parse_records(records: Sequence[Any]) -> list[OsvRecord]:
    if len(records) > MAX_RECORDS:
        raise DeltaError(f"at most {MAX_RECORDS} records per delta, got {len(records)}")
    parsed: list[OsvRecord] = []
    problems: list[str] = []
    for index, data in enumerate(records):
        try:
            parsed.append(parse_record(data, f"records[{index}]"))
        except InvalidRecord as exc:
            label = f"records[{index}]" + (f" ({exc.advisory_id})" if exc.advisory_id else "")
            problems.append(f"{label}: {exc.message}")
    if problems:
        raise DeltaError("invalid OSV records, nothing was imported", problems)
    return parsed


def _checked_ids(advisory_ids: Sequence[str]) -> list[str]:
    if len(advisory_ids) > MAX_IDS:
        raise DeltaError(f"at most {MAX_IDS} advisory ids per delta, got {len(advisory_ids)}")
    ids: list[str] = []
    for index, value in enumerate(advisory_ids):
        if not isinstance(value, str) or not value.strip() or len(value) > 255:
            raise DeltaError(f"advisory_ids[{index}]: not an advisory id")
        ids.append(value.strip())
    return list(dict.fromkeys(ids))


def _record_recheck(session: Session, ids: Sequence[str]) -> int:
    """A `recheck` run whose delta names the given stored advisories; raises DeltaError for
    ids that are not stored."""
    lock_advisories(session)
    stored: dict[str, bool] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = list(ids[start : start + _CHUNK])
        for advisory_id, withdrawn in session.execute(
            select(Advisory.id, Advisory.withdrawn).where(Advisory.id.in_(chunk))
        ):
            stored[advisory_id] = withdrawn is not None
    missing = [i for i in ids if i not in stored]
    if missing:
        raise DeltaError("unknown advisory ids, nothing was rechecked", missing)
    now = utcnow()
    withdrawn_count = sum(stored.values())
    run_id = int(
        session.execute(
            insert(AdvisoryRun)
            .values(
                source_id=None,
                kind="recheck",
                started_at=now,
                finished_at=None,
                new_count=0,
                modified_count=len(ids) - withdrawn_count,
                withdrawn_count=withdrawn_count,
                unchanged_count=0,
                skipped_count=0,
                problems=[],
            )
            .returning(AdvisoryRun.id)
        ).scalar_one()
    )
    session.execute(
        insert(AdvisoryChange),
        [
            {
                "run_id": run_id,
                "advisory_id": i,
                "change": "withdrawn" if stored[i] else "modified",
            }
            for i in ids
        ],
    )
    packages: set[tuple[str, str, str]] = set()
    for start in range(0, len(ids), _CHUNK):
        chunk = list(ids[start : start + _CHUNK])
        for advisory_id, ecosystem, name in session.execute(
            select(
                AdvisoryPackage.advisory_id, AdvisoryPackage.ecosystem, AdvisoryPackage.name
            ).where(AdvisoryPackage.advisory_id.in_(chunk))
        ):
            packages.add((advisory_id, ecosystem, name))
    if packages:
        session.execute(
            insert(AdvisoryChangePackage),
            [
                {"run_id": run_id, "advisory_id": a, "ecosystem": e, "name": n}
                for a, e, n in sorted(packages)
            ],
        )
    session.execute(update(AdvisoryRun).where(AdvisoryRun.id == run_id).values(finished_at=now))
    return run_id


def apply_external_delta(
    db: Database,
    settings: Settings,
    *,
    advisory_ids: Sequence[str] | None = None,
    records: Sequence[Mapping[str, Any]] | None = None,
) -> ExternalDeltaResult:
    """Import `records` and/or re-evaluate `advisory_ids`, then run monitoring.

    Raises DeltaError (nothing changed) for an empty request, an invalid record or an unknown
    id. Records and rechecks are committed together, before monitoring runs.
    """
    if not advisory_ids and not records:
        raise DeltaError("a delta needs advisory_ids or records")
    parsed = _parse_records(list(records or []))
    ids = _checked_ids(list(advisory_ids or []))
    report: RunReport | None = None
    recheck: int | None = None
    with db.session() as session:
        if parsed:
            importer = Importer(session, kind="push")
            importer.start()
            for record in parsed:
                importer.add(record)
            report = importer.finish()
        if ids:
            recheck = _record_recheck(session, ids)
    summary = process_pending_runs(db, settings)
    return ExternalDeltaResult(report, recheck, tuple(ids), summary)
