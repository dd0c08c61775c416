"""Events of finished scans: SCAN_FINISHED or SCAN_FAILED, and their notifications by policy.

`on_scan_finished(db, settings, scan_id)` is what the pipeline's scan-finished hook calls once
the scan's results are committed. It reads the stored rows (scan, findings, the branch's
previous successful scan), records one event per scan (a second call returns the same event)
and queues the notifications the project's policy wants; sending is left to `deliver_due`.

"New" findings are the scan's active (not suppressed) findings that share no id (advisory id
or alias, any case) with an open finding of the same package (ecosystem and normalized name)
in the branch's previous successful scan; on a branch's first scan every active finding is
new. A finding that was suppressed before and is active now (its ignore rule expired) is not
new: it was known.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from deeptracy.config import Settings
from deeptracy.events.delivery import create_notifications
from deeptracy.events.history import (
    find_event,
    finding_entry,
    listed,
    record_event,
    severity_counts,
)
from deeptracy.events.messages import plural, vulnerabilities
from deeptracy.events.monitoring import MonitorSummary, catch_up_scan
from deeptracy.store.db import Database
from deeptracy.store.enums import EventKind, ScanState
from deeptracy.store.models import Finding, Notification, Project, Scan

log = logging.getLogger(__name__)

TOP_LISTED = 40  # most severe open findings kept for an "always" summary
_SUCCESSFUL = (ScanState.DONE, ScanState.SAME_DEPS_AS_PREVIOUS)


@dataclass(frozen=True, slots=True)
class ScanEventOutcome:
    event_id: int | None
    kind: EventKind | None
    created: bool  # False: the event existed already, or the scan is not finished
    notification_ids: tuple[int, ...] = ()
    caught_up: MonitorSummary | None = None  # advisory runs applied to the scan afterwards


def previous_successful_scan(session: Session, scan: Scan) -> str | None:
    """The branch's latest successful scan created before `scan`."""
    if scan.previous_scan_id:
        return scan.previous_scan_id
    if scan.branch is None:
        return None
    return session.scalar(
        select(Scan.id)
        .where(
            Scan.project_id == scan.project_id,
            Scan.branch == scan.branch,
            Scan.state.in_(_SUCCESSFUL),
            Scan.id != scan.id,
            Scan.created_at <= scan.created_at,
        )
        .order_by(Scan.created_at.desc(), Scan.id.desc())
        .limit(1)
    )


def _ids(row: Finding) -> set[str]:
    return {row.advisory_id.casefold(), *(a.casefold() for a in row.aliases or ())}


def _open_findings(session: Session, scan_id: str) -> list[Finding]:
    return list(
        session.scalars(
            select(Finding)
            .where(Finding.scan_id == scan_id, Finding.closed_at.is_(None))
            .order_by(Finding.id)
        )
    )


def new_findings(session: Session, scan: Scan, previous_id: str | None) -> list[Finding]:
    """The scan's active findings that the previous successful scan did not have."""
    active = [f for f in _open_findings(session, scan.id) if not f.suppression]
    if previous_id is None:
        return active
    known: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in _open_findings(session, previous_id):
        known[(row.ecosystem, row.normalized_name)] |= _ids(row)
    return [f for f in active if not (_ids(f) & known.get((f.ecosystem, f.normalized_name), set()))]


def _finished_payload(
    session: Session, scan: Scan, previous_id: str | None
) -> tuple[str, dict[str, object]]:
    rows = _open_findings(session, scan.id)
    active = [f for f in rows if not f.suppression]
    new = new_findings(session, scan, previous_id)
    new_list, new_cut = listed([finding_entry(f) for f in new])
    top_list, top_cut = listed([finding_entry(f) for f in active])
    counts = severity_counts(f.severity for f in active)
    payload: dict[str, object] = {
        "state": scan.state,
        "commit": scan.commit_sha,
        "previous_scan_id": previous_id,
        "total_packages": scan.total_packages,
        "total_vulnerabilities": len(active),
        "counts": counts,
        "suppressed": len(rows) - len(active),
        "new_count": len(new),
        "new_counts": severity_counts(f.severity for f in new),
        "new": new_list,
        "top": top_list[:TOP_LISTED],
        "truncated": new_cut or top_cut,
    }
    packages = f" in {plural(scan.total_packages, 'package')}" if scan.total_packages else ""
    summary = f"Scan finished: {vulnerabilities(len(active))}{packages}"
    summary += f", {len(new)} new" if new else ", none new"
    return summary, payload


def _failed_payload(scan: Scan) -> tuple[str, dict[str, object]]:
    reason = scan.failure_reason or "INTERNAL_ERROR"
    payload: dict[str, object] = {
        "state": scan.state,
        "commit": scan.commit_sha,
        "failure_reason": reason,
        "failure_detail": (scan.failure_detail or "")[:1000] or None,
    }
    return f"Scan failed: {reason}", payload


def on_scan_finished(
    db: Database,
    settings: Settings,
    scan_id: str,
    *,
    previous_scan_id: str | None = None,
) -> ScanEventOutcome:
    """Record the scan's event and queue its notifications; a no-op for an unfinished scan,
    and idempotent (a retried hook finds the event it recorded).

    A successful scan then catches up with the advisory runs monitoring processed while it ran
    (`monitoring.catch_up_scan`): their findings are added to it and announced as monitoring
    events, so an advisory that arrives during a scan is never lost.
    """
    outcome = _record_once(db, settings, scan_id, previous_scan_id)
    if outcome.kind is EventKind.SCAN_FINISHED:
        try:
            summary = catch_up_scan(db, settings, scan_id)
        except Exception:  # the scan's own event is recorded; the next run catches up too
            log.exception("catching scan %s up with recent advisory runs failed", scan_id)
        else:
            outcome = replace(outcome, caught_up=summary)
    return outcome


def _record_once(
    db: Database, settings: Settings, scan_id: str, previous_scan_id: str | None
) -> ScanEventOutcome:
    try:
        return _record(db, settings, scan_id, previous_scan_id)
    except IntegrityError:  # a concurrent call recorded it first
        with db.session() as session:
            event = find_event(session, f"scan:{scan_id}")
            if event is None:
                raise
            ids = session.scalars(select(Notification.id).where(Notification.event_id == event.id))
            return ScanEventOutcome(event.id, EventKind(event.kind), False, tuple(ids))


def _record(
    db: Database, settings: Settings, scan_id: str, previous_scan_id: str | None
) -> ScanEventOutcome:
    with db.session() as session:
        scan = session.get(Scan, scan_id)
        if scan is None or not ScanState(scan.state).finished:
            log.warning("scan %s is not finished (or does not exist): no event recorded", scan_id)
            return ScanEventOutcome(None, None, False)
        project = session.get(Project, scan.project_id)
        if project is None:  # deleted meanwhile
            return ScanEventOutcome(None, None, False)
        if scan.state == ScanState.FAILED:
            kind = EventKind.SCAN_FAILED
            summary, payload = _failed_payload(scan)
        else:
            kind = EventKind.SCAN_FINISHED
            previous = previous_scan_id or previous_successful_scan(session, scan)
            summary, payload = _finished_payload(session, scan, previous)
        event, created = record_event(
            session,
            project_id=project.id,
            kind=kind,
            summary=summary,
            payload=payload,
            dedupe_key=f"scan:{scan.id}",
            branch=scan.branch,
            scan_id=scan.id,
        )
        if created:
            notifications = [n.id for n in create_notifications(session, settings, event, project)]
        else:
            notifications = list(
                session.scalars(select(Notification.id).where(Notification.event_id == event.id))
            )
        return ScanEventOutcome(event.id, EventKind(event.kind), created, tuple(notifications))
