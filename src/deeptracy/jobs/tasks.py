"""The scan tasks, as plain functions: idempotent, taking ids, calling the pipeline.

The Celery engine wraps them (`jobs.celery_app`); they are tested without a broker. A task may
run more than once for one scan (acks_late re-delivery, the reaper re-sending): a finished scan
is skipped, a RUNNING one is left to its worker (or, if that worker is gone, to the reaper),
and only a PENDING scan is claimed, atomically, by one worker.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from enum import StrEnum

from deeptracy.analyzers.interface import Analyzer
from deeptracy.analyzers.registry import AnalyzerSet
from deeptracy.config import Settings
from deeptracy.jobs.reaper import ReapReport, reap
from deeptracy.scanning import hooks as scan_hooks
from deeptracy.scanning.pipeline import run_scan
from deeptracy.store.db import Database
from deeptracy.store.enums import ScanState
from deeptracy.store.models import Scan

log = logging.getLogger(__name__)


class TaskOutcome(StrEnum):
    MISSING = "missing"  # no such scan (deleted with its project)
    ALREADY_FINISHED = "already-finished"
    RUNNING_ELSEWHERE = "running-elsewhere"
    LOST_RACE = "lost-race"  # another worker claimed it first, or it was taken from us
    RAN = "ran"


def scan_task(
    db: Database,
    settings: Settings,
    scan_id: str,
    *,
    analyzers: Sequence[Analyzer] | AnalyzerSet | None = None,
    hooks: Sequence[scan_hooks.Listener] | None = None,
    worker: str | None = None,
) -> TaskOutcome:
    """Run scan `scan_id` if it is PENDING; say what happened otherwise."""
    with db.session() as session:
        state = session.get(Scan, scan_id)
        current = ScanState(state.state) if state is not None else None
    if current is None:
        log.info("task for scan %s: no such scan", scan_id)
        return TaskOutcome.MISSING
    if current.finished:
        log.info("task for scan %s: already %s; skipped", scan_id, current.value)
        return TaskOutcome.ALREADY_FINISHED
    if current is ScanState.RUNNING:
        log.info("task for scan %s: running on another worker; skipped", scan_id)
        return TaskOutcome.RUNNING_ELSEWHERE
    event = run_scan(db, settings, scan_id, analyzers=analyzers, hooks=hooks, worker=worker)
    return TaskOutcome.RAN if event is not None else TaskOutcome.LOST_RACE


def reap_task(
    db: Database,
    settings: Settings,
    send: Callable[[str], None],
    *,
    hooks: Sequence[scan_hooks.Listener] | None = None,
) -> ReapReport:
    """A reaper pass that also re-sends the tasks of requeued and long-PENDING scans."""
    report = reap(db, settings, resend_pending=True, hooks=hooks)
    for scan_id in report.resend:
        try:
            send(scan_id)
        except Exception as exc:  # the next pass tries again
            log.warning("cannot re-send the task of scan %s: %s", scan_id, exc)
    return report
