"""The distributed engine: scans as Celery tasks on a Redis broker (BROKER_URI=redis://...).

Delivery: tasks are acknowledged after they run (`task_acks_late`), a task whose worker
process dies is handed back (`task_reject_on_worker_lost`), each worker process reserves one
task at a time (`worker_prefetch_multiplier=1`), and Redis re-delivers a task not acknowledged
within the visibility timeout (SCAN_TIMEOUT + 2 x SCAN_HEARTBEAT_TIMEOUT by default, so a long
scan is not handed out twice). Tasks are idempotent (`jobs.tasks`), so re-delivery is safe.
Only JSON travels: a task carries a scan id, never an object.

The reaper runs as the beat task `deeptracy.reap` (`deeptracy worker --beat`, or a separate
`deeptracy worker --beat-only`): it requeues scans whose worker stopped sending heartbeats
and re-sends their tasks, and re-sends tasks of scans PENDING for SCAN_REQUEUE_AFTER. Several
beats are harmless (every change is conditional), only wasteful.

Each worker clones into its own local workspace (SHARED_VOLUME_PATH or DEEPTRACY_HOME/
workspaces): workers need no shared disk, only the database and the broker.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any
from urllib.parse import urlsplit

from celery import Celery

from deeptracy.analyzers.registry import AnalyzerSet, analyzers_for
from deeptracy.config import Settings
from deeptracy.jobs.tasks import TaskOutcome, reap_task, scan_task
from deeptracy.logs import redact
from deeptracy.store.base import utcnow
from deeptracy.store.db import Database

log = logging.getLogger(__name__)

SCAN_TASK = "deeptracy.scan"
REAP_TASK = "deeptracy.reap"
BROKER_SCHEMES = ("redis", "rediss")


def check_broker_uri(uri: str) -> str:
    """BROKER_URI if it names a Redis broker; ValueError (without the password) otherwise."""
    scheme = urlsplit(uri).scheme
    if scheme not in BROKER_SCHEMES:
        raise ValueError(f"BROKER_URI must be a redis:// or rediss:// URL, not {redact(uri)!r}")
    return uri


class WorkerRuntime:
    """What the tasks of one worker process use: settings, a database handle and the
    analyzers, made on first use in that process (prefork children never share a pool)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._pid: int | None = None
        self._db: Database | None = None
        self._lock = threading.Lock()

    @property
    def db(self) -> Database:
        with self._lock:
            if self._db is None or self._pid != os.getpid():
                self._db = Database(self.settings.effective_database_uri)
                self._pid = os.getpid()
            return self._db

    @property
    def analyzers(self) -> AnalyzerSet:
        return analyzers_for(self.settings, self.db)


def create_celery(settings: Settings) -> Celery:
    """The Celery app of this deployment, with the scan and reaper tasks registered."""
    if not settings.broker_uri:
        raise ValueError("BROKER_URI is not set: the embedded engine runs scans in-process")
    broker = check_broker_uri(settings.broker_uri)
    app = Celery("deeptracy", broker=broker, set_as_current=False)
    transport: dict[str, Any] = {"visibility_timeout": int(settings.effective_visibility_timeout)}
    if settings.celery_key_prefix:
        transport["global_keyprefix"] = settings.celery_key_prefix
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        task_ignore_result=True,
        task_store_errors_even_if_ignored=False,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_acks_on_failure_or_timeout=True,
        worker_prefetch_multiplier=1,
        task_default_queue=settings.celery_queue,
        broker_transport_options=transport,
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=10,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        worker_cancel_long_running_tasks_on_connection_loss=False,
        beat_schedule={
            "deeptracy-reaper": {
                "task": REAP_TASK,
                "schedule": settings.reaper_interval,
                "options": {"queue": settings.celery_queue, "expires": settings.reaper_interval},
            }
        },
        timezone="UTC",
    )
    runtime = WorkerRuntime(settings)
    app.conf.deeptracy_runtime = runtime

    def send(scan_id: str) -> None:
        app.send_task(SCAN_TASK, args=[scan_id], queue=settings.celery_queue)

    @app.task(name=SCAN_TASK, ignore_result=True, shared=False)  # type: ignore[untyped-decorator]
    def run_scan_task(scan_id: str) -> str:
        outcome: TaskOutcome = scan_task(
            runtime.db, runtime.settings, str(scan_id), analyzers=runtime.analyzers
        )
        return outcome.value

    @app.task(name=REAP_TASK, ignore_result=True, shared=False)  # type: ignore[untyped-decorator]
    def run_reap_task() -> dict[str, int]:
        report = reap_task(runtime.db, runtime.settings, send)
        return {
            "requeued": len(report.requeued),
            "lost": len(report.lost),
            "timed_out": len(report.timed_out),
            "resent": len(report.resend),
        }

    return app


class CeleryQueue:
    """ScanQueue of the distributed engine: `enqueue` sends the scan's task to the broker.

    A broker that cannot be reached is logged, not raised: the scan row is committed and
    PENDING, and the reaper re-sends its task SCAN_REQUEUE_AFTER seconds later.
    """

    def __init__(self, settings: Settings, db: Database | None = None) -> None:
        self.settings = settings
        self.db = db
        self.app = create_celery(settings)

    def enqueue(self, scan_id: str) -> None:
        try:
            self.app.send_task(
                SCAN_TASK,
                args=[scan_id],
                queue=self.settings.celery_queue,
                retry=True,
                retry_policy={"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5},
            )
        except Exception as exc:
            log.warning(
                "cannot send the task of scan %s to the broker (%s); the reaper re-sends it",
                scan_id,
                redact(str(exc)),
            )
            return
        if self.db is not None:
            from sqlalchemy import update

            from deeptracy.store.enums import ScanState
            from deeptracy.store.models import Scan

            with self.db.session() as session:
                session.execute(
                    update(Scan)
                    .where(Scan.id == scan_id, Scan.state == ScanState.PENDING)
                    .values(queued_at=utcnow())
                    .execution_options(synchronize_session=False)
                )

    def close(self) -> None:
        self.app.close()
