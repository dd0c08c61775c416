"""The reaper: no scan stays RUNNING or PENDING forever.

Run every REAPER_INTERVAL seconds (by the embedded engine's own thread, or as the Celery beat
task `deeptracy.reap`). Each pass:

- A RUNNING scan whose heartbeat is older than SCAN_HEARTBEAT_TIMEOUT lost its worker (killed,
  crashed, host gone). It goes back to PENDING for another worker, or, once it has been tried
  MAX_SCAN_ATTEMPTS times, ends FAILED with WORKER_LOST.
- A RUNNING scan that is alive but has run past SCAN_TIMEOUT (plus one heartbeat timeout of
  grace, for the worker to notice itself) ends FAILED with TIMEOUT.
- With `resend_pending` (the Celery engine), a scan PENDING for SCAN_REQUEUE_AFTER seconds since
  it was last queued is returned for its task to be sent again: the message may have been lost
  with a broker restart. Scans the pass requeued are returned too.

Every change is a conditional UPDATE that re-checks what the pass saw, so a scan that finished
or sent a heartbeat meanwhile is left alone, and several reapers may run at once. The worker
that lost a scan cannot write over it afterwards: the pipeline fences every write on the
attempt number (`scanning.pipeline`). Scans the reaper fails reach the scan-finished hooks.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from deeptracy.config import Settings
from deeptracy.scanning import hooks as scan_hooks
from deeptracy.store.base import utcnow
from deeptracy.store.db import Database
from deeptracy.store.enums import AnalysisState, FailureReason, ScanState
from deeptracy.store.models import Analysis, Scan

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReapReport:
    requeued: tuple[str, ...] = ()  # RUNNING -> PENDING (worker lost, attempts left)
    lost: tuple[str, ...] = ()  # RUNNING -> FAILED WORKER_LOST
    timed_out: tuple[str, ...] = ()  # RUNNING -> FAILED TIMEOUT
    resend: tuple[str, ...] = ()  # PENDING scans whose task should be sent again

    @property
    def changed(self) -> bool:
        return bool(self.requeued or self.lost or self.timed_out)


def _fail(
    session: Session,
    scan_id: str,
    attempts: int,
    reason: FailureReason,
    detail: str,
    now: datetime,
    extra: Sequence[object] = (),
) -> bool:
    done = session.execute(
        update(Scan)
        .where(
            Scan.id == scan_id,
            Scan.state == ScanState.RUNNING,
            Scan.attempts == attempts,
            *extra,  # type: ignore[arg-type]
        )
        .values(
            state=ScanState.FAILED,
            failure_reason=reason.value,
            failure_detail=detail,
            finished_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        return False
    session.execute(
        update(Analysis)
        .where(
            Analysis.scan_id == scan_id,
            Analysis.state.in_((AnalysisState.PENDING, AnalysisState.RUNNING)),
        )
        .values(state=AnalysisState.FAILED, finished_at=now, error="the scan failed")
        .execution_options(synchronize_session=False)
    )
    return True


def reap(
    db: Database,
    settings: Settings,
    *,
    now: datetime | None = None,
    resend_pending: bool = False,
    hooks: Sequence[scan_hooks.Listener] | None = None,
) -> ReapReport:
    """One pass over RUNNING (and, with `resend_pending`, PENDING) scans."""
    now = now or utcnow()
    stale_before = now - timedelta(seconds=settings.scan_heartbeat_timeout)
    overdue_before = now - timedelta(
        seconds=settings.scan_timeout + settings.scan_heartbeat_timeout
    )
    stale = or_(
        Scan.heartbeat_at < stale_before,
        Scan.heartbeat_at.is_(None)
        & or_(Scan.started_at.is_(None), Scan.started_at < stale_before),
    )
    requeued: list[str] = []
    lost: list[str] = []
    timed_out: list[str] = []
    with db.session() as session:
        running = session.execute(
            select(Scan.id, Scan.attempts, Scan.worker, Scan.heartbeat_at, Scan.started_at).where(
                Scan.state == ScanState.RUNNING
            )
        ).all()
        for scan_id, attempts, worker, heartbeat_at, started_at in running:
            seen = heartbeat_at or started_at
            if seen is None or seen < stale_before:
                if attempts >= settings.max_scan_attempts:
                    detail = (
                        f"the worker running it ({worker or 'unknown'}) stopped sending "
                        f"heartbeats for {settings.scan_heartbeat_timeout:g} s; tried "
                        f"{attempts} times (MAX_SCAN_ATTEMPTS={settings.max_scan_attempts})"
                    )
                    if _fail(
                        session, scan_id, attempts, FailureReason.WORKER_LOST, detail, now, [stale]
                    ):
                        lost.append(scan_id)
                    continue
                done = session.execute(
                    update(Scan)
                    .where(
                        Scan.id == scan_id,
                        Scan.state == ScanState.RUNNING,
                        Scan.attempts == attempts,
                        stale,
                    )
                    .values(
                        state=ScanState.PENDING,
                        stage=None,
                        worker=None,
                        heartbeat_at=None,
                        queued_at=now,
                    )
                    .execution_options(synchronize_session=False)
                )
                if done.rowcount == 1:  # type: ignore[attr-defined]
                    requeued.append(scan_id)
            elif started_at is not None and started_at < overdue_before:
                detail = (
                    f"the scan did not finish within {settings.scan_timeout:g} seconds "
                    "(SCAN_TIMEOUT); its worker was still running it"
                )
                if _fail(
                    session,
                    scan_id,
                    attempts,
                    FailureReason.TIMEOUT,
                    detail,
                    now,
                    [Scan.started_at < overdue_before],
                ):
                    timed_out.append(scan_id)

    resend: list[str] = list(requeued)
    if resend_pending:
        resend_before = now - timedelta(seconds=settings.scan_requeue_after)
        waiting = or_(
            Scan.queued_at < resend_before,
            Scan.queued_at.is_(None) & (Scan.created_at < resend_before),
        )
        with db.session() as session:
            old = list(
                session.scalars(
                    select(Scan.id)
                    .where(Scan.state == ScanState.PENDING, waiting)
                    .order_by(Scan.created_at)
                    .limit(1000)
                )
            )
            for scan_id in old:
                done = session.execute(
                    update(Scan)
                    .where(Scan.id == scan_id, Scan.state == ScanState.PENDING, waiting)
                    .values(queued_at=now)
                    .execution_options(synchronize_session=False)
                )
                if done.rowcount == 1 and scan_id not in resend:  # type: ignore[attr-defined]
                    resend.append(scan_id)

    report = ReapReport(tuple(requeued), tuple(lost), tuple(timed_out), tuple(resend))
    if report.changed:
        log.warning(
            "reaper: %d scans requeued, %d failed (worker lost), %d failed (timeout)",
            len(requeued),
            len(lost),
            len(timed_out),
        )
    for scan_id in (*lost, *timed_out):
        _notify(db, settings, scan_id, hooks)
    return report


def _notify(
    db: Database,
    settings: Settings,
    scan_id: str,
    hooks: Sequence[scan_hooks.Listener] | None,
) -> None:
    with db.session() as session:
        scan = session.get(Scan, scan_id)
        if scan is None:
            return
        event = scan_hooks.ScanFinished(
            scan_id=scan.id,
            project_id=scan.project_id,
            branch=scan.branch,
            state=ScanState(scan.state),
            failure_reason=scan.failure_reason,
            failure_detail=scan.failure_detail,
            trigger=scan.trigger,
            total_packages=scan.total_packages,
            database=db,
            settings=settings,
        )
    scan_hooks.notify(event, hooks)
