"""Recorded events and notifications as frozen values, for the API and the dashboard.

Events are written once: `record_event` takes a dedupe key ("scan:<scan>", and monitoring's
"run:<run>:scan:<scan>:new_findings") and returns the existing event when a retried task or a
second worker records the same thing again.

Event payloads (stable; the API shows them as they are):

- `scan_finished`: `state`, `commit`, `previous_scan_id`, `total_packages`,
  `total_vulnerabilities` (active findings), `counts` (active findings by severity),
  `suppressed`, `new_count`, `new_counts`, `new` (the new active findings, most severe first),
  `top` (the most severe active findings), `truncated` (lists were cut at MAX_LISTED).
- `scan_failed`: `state`, `commit`, `failure_reason`, `failure_detail`.
- `new_findings` / `findings_closed`: `advisory_run_id`, `count`, `counts` (by severity),
  `findings` (each closed one with its `closed_reason`), `truncated`.

A finding in a payload: `finding_id`, `advisory_id`, `aliases`, `severity`, `score`, `summary`,
`ecosystem`, `package`, `version`, `declared`, `purl`, `fixed`, `source` (the file),
`origin` (scan or monitor), `closed_reason`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from deeptracy.severity import Severity
from deeptracy.store.base import utcnow
from deeptracy.store.enums import DeliveryState
from deeptracy.store.models import Event, Notification
from deeptracy.store.models import Finding as FindingRow

MAX_LISTED = 500  # findings kept in one event's payload list
MAX_SUMMARY = 300
SEVERITY_ORDER: tuple[Severity, ...] = (
    Severity.CRITICAL,
    Severity.HIGH,
    Severity.MEDIUM,
    Severity.LOW,
    Severity.NONE,
    Severity.UNKNOWN,
)


_BY_VALUE = {s.value: s for s in Severity}


def severity_of(value: object) -> Severity:
    """A stored severity (UNKNOWN when unreadable); stored values are exact, so a dict look-up
    serves nearly every call."""
    known = _BY_VALUE.get(value) if isinstance(value, str) else None
    if known is not None:
        return known
    try:
        return Severity.parse(str(value))
    except ValueError:
        return Severity.UNKNOWN


_NAMES = frozenset(_BY_VALUE)
_ORDER_NAMES = tuple(s.value for s in SEVERITY_ORDER)
_NAME_ORDER = {name: i for i, name in enumerate(_ORDER_NAMES)}


def severity_name(value: object) -> str:
    """`severity_of(value).value`, without touching the enum for the usual stored values."""
    if isinstance(value, str) and value in _NAMES:
        return value
    return severity_of(value).value


def severity_counts(severities: Iterable[object]) -> dict[str, int]:
    """Counts by severity, every severity present, in reading order (CRITICAL first)."""
    counts = dict.fromkeys(_ORDER_NAMES, 0)
    for value in severities:
        counts[severity_name(value)] += 1
    return counts


def finding_entry(row: FindingRow, closed_reason: str | None = None) -> dict[str, Any]:
    """A stored finding as an event payload lists it."""
    locations = row.locations or []
    source = locations[0].get("path") if locations and isinstance(locations[0], dict) else None
    return {
        "finding_id": row.id,
        "advisory_id": row.advisory_id,
        "aliases": list(row.aliases or []),
        "severity": severity_of(row.severity).value,
        "score": row.score,
        "summary": (row.summary or "")[:MAX_SUMMARY],
        "ecosystem": row.ecosystem,
        "package": row.package_name,
        "version": row.version,
        "declared": row.declared,
        "purl": row.purl,
        "fixed": list(row.fixed or [])[:10],
        "source": source if isinstance(source, str) else None,
        "origin": row.origin,
        "closed_reason": closed_reason if closed_reason is not None else row.closed_reason,
    }


def entry_sort_key(entry: Mapping[str, Any]) -> tuple[object, ...]:
    """Most severe first (then highest score), then package, version and advisory id."""
    score = entry.get("score")
    return (
        _NAME_ORDER[severity_name(entry.get("severity"))],
        -(score if isinstance(score, int | float) else -1.0),
        str(entry.get("package") or "").lower(),
        str(entry.get("version") or entry.get("declared") or ""),
        str(entry.get("advisory_id") or ""),
    )


def sorted_entries(entries: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    items = list(entries)
    return items if len(items) < 2 else sorted(items, key=entry_sort_key)


def listed(entries: Sequence[Mapping[str, Any]]) -> tuple[list[Mapping[str, Any]], bool]:
    """The most severe MAX_LISTED entries, and whether some were left out."""
    ordered = sorted_entries(entries)
    return ordered[:MAX_LISTED], len(ordered) > MAX_LISTED


# ---- events -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EventInfo:
    id: int
    project_id: str
    branch: str | None
    scan_id: str | None
    advisory_run_id: int | None
    kind: str
    summary: str
    payload: Mapping[str, Any]
    created_at: datetime

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "project_id": self.project_id,
            "branch": self.branch,
            "scan_id": self.scan_id,
            "advisory_run_id": self.advisory_run_id,
            "kind": self.kind,
            "summary": self.summary,
            "payload": dict(self.payload),
            "created_at": self.created_at.isoformat(),
        }


def event_info(row: Event) -> EventInfo:
    return EventInfo(
        id=row.id,
        project_id=row.project_id,
        branch=row.branch,
        scan_id=row.scan_id,
        advisory_run_id=row.advisory_run_id,
        kind=row.kind,
        summary=row.summary,
        payload=dict(row.payload or {}),
        created_at=row.created_at,
    )


def record_event(
    session: Session,
    *,
    project_id: str,
    kind: str,
    summary: str,
    payload: dict[str, Any],
    dedupe_key: str | None,
    branch: str | None = None,
    scan_id: str | None = None,
    advisory_run_id: int | None = None,
    created_at: datetime | None = None,
) -> tuple[Event, bool]:
    """The event, and whether it is new (False: one with this dedupe key already existed).

    A concurrent writer of the same key makes the flush raise IntegrityError; the caller rolls
    back and reads the other's event (no savepoint: on SQLite, pysqlite would commit it).
    """
    if dedupe_key is not None:
        existing = session.scalar(select(Event).where(Event.dedupe_key == dedupe_key))
        if existing is not None:
            return existing, False
    row = Event(
        project_id=project_id,
        branch=branch,
        scan_id=scan_id,
        advisory_run_id=advisory_run_id,
        kind=kind,
        dedupe_key=dedupe_key,
        summary=summary,
        payload=payload,
        created_at=created_at or utcnow(),
    )
    session.add(row)
    session.flush()
    return row, True


def find_event(session: Session, dedupe_key: str) -> Event | None:
    return session.scalar(select(Event).where(Event.dedupe_key == dedupe_key))


def list_events(
    session: Session,
    project_id: str,
    *,
    limit: int = 50,
    before_id: int | None = None,
    kinds: Sequence[str] | None = None,
    branch: str | None = None,
) -> list[EventInfo]:
    """A project's events, newest first; `before_id` pages further back."""
    query = select(Event).where(Event.project_id == project_id)
    if before_id is not None:
        query = query.where(Event.id < before_id)
    if kinds:
        query = query.where(Event.kind.in_(list(kinds)))
    if branch is not None:
        query = query.where(Event.branch == branch)
    rows = session.scalars(query.order_by(Event.id.desc()).limit(max(1, min(limit, 500))))
    return [event_info(r) for r in rows]


def get_event(session: Session, event_id: int) -> EventInfo | None:
    row = session.get(Event, event_id)
    return event_info(row) if row else None


# ---- notifications ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NotificationInfo:
    id: int
    event_id: int
    project_id: str
    channel: str
    channel_id: str | None
    target: str  # redacted
    state: DeliveryState
    attempts: int
    last_error: str | None
    response_status: int | None
    next_attempt_at: datetime | None
    created_at: datetime
    sent_at: datetime | None

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "event_id": self.event_id,
            "channel": self.channel,
            "channel_id": self.channel_id,
            "target": self.target,
            "state": self.state.value,
            "attempts": self.attempts,
            "last_error": self.last_error,
            "response_status": self.response_status,
            "next_attempt_at": self.next_attempt_at.isoformat() if self.next_attempt_at else None,
            "created_at": self.created_at.isoformat(),
            "sent_at": self.sent_at.isoformat() if self.sent_at else None,
        }


def notification_info(row: Notification) -> NotificationInfo:
    return NotificationInfo(
        id=row.id,
        event_id=row.event_id,
        project_id=row.project_id,
        channel=row.channel,
        channel_id=row.channel_id,
        target=row.target,
        state=DeliveryState(row.state),
        attempts=row.attempts,
        last_error=row.last_error,
        response_status=row.response_status,
        next_attempt_at=row.next_attempt_at,
        created_at=row.created_at,
        sent_at=row.sent_at,
    )


def list_notifications(
    session: Session,
    *,
    project_id: str | None = None,
    event_id: int | None = None,
    state: DeliveryState | None = None,
    limit: int = 100,
) -> list[NotificationInfo]:
    """Deliveries, newest first, of a project or of one event."""
    query = select(Notification)
    if project_id is not None:
        query = query.where(Notification.project_id == project_id)
    if event_id is not None:
        query = query.where(Notification.event_id == event_id)
    if state is not None:
        query = query.where(Notification.state == state)
    rows = session.scalars(query.order_by(Notification.id.desc()).limit(max(1, min(limit, 500))))
    return [notification_info(r) for r in rows]
