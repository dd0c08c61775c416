"""The advisory sync cycle: sync every remembered source, monitor the new runs, deliver.

`run_sync_cycle(db, settings)` does one cycle under the cluster-wide sync lock
(`events.locks`) and returns None when another worker holds it. The distributed engine calls it
from a Celery beat task every ADVISORY_SYNC_INTERVAL minutes; the embedded engine runs
`SyncScheduler`, a daemon thread that does the same in-process (ADVISORY_SYNC_INTERVAL=0: off).
A failing source, or a failing step, is logged and reported in the summary; the other steps
still run, and the scheduler keeps going.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime

from deeptracy.advisories.http import HttpClient
from deeptracy.advisories.importer import RunReport
from deeptracy.advisories.store import list_sources
from deeptracy.advisories.sync import sync_sources
from deeptracy.config import Settings
from deeptracy.events.delivery import DeliverySummary, deliver_due
from deeptracy.events.locks import SyncLock, sync_lock
from deeptracy.events.monitoring import MonitorSummary, process_pending_runs
from deeptracy.store.base import utcnow
from deeptracy.store.db import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CycleSummary:
    started_at: datetime
    seconds: float
    synced: tuple[RunReport, ...] = ()
    sync_failures: tuple[tuple[str, str], ...] = ()  # (source, why)
    monitoring: MonitorSummary = field(default_factory=MonitorSummary)
    delivery: DeliverySummary = field(default_factory=DeliverySummary)
    errors: tuple[str, ...] = ()  # steps that failed as a whole

    def to_dict(self) -> dict[str, object]:
        return {
            "started_at": self.started_at.isoformat(),
            "seconds": round(self.seconds, 3),
            "synced": [r.to_dict() for r in self.synced],
            "sync_failures": [{"source": s, "error": e} for s, e in self.sync_failures],
            "monitoring": self.monitoring.to_dict(),
            "delivery": self.delivery.to_dict(),
            "errors": list(self.errors),
        }


def run_sync_cycle(
    db: Database,
    settings: Settings,
    *,
    client: HttpClient | None = None,
    lock: SyncLock | None = None,
    sync: bool = True,
) -> CycleSummary | None:
    """One cycle under the sync lock; None when another worker is running one."""
    chosen = lock or sync_lock(db, settings)
    with chosen.held() as got:
        if not got:
            log.info("advisory sync skipped: another worker holds the sync lock")
            return None
        return _cycle(db, settings, client, sync)


def _cycle(db: Database, settings: Settings, client: HttpClient | None, sync: bool) -> CycleSummary:
    started_at = utcnow()
    started = time.perf_counter()
    errors: list[str] = []
    synced: tuple[RunReport, ...] = ()
    failures: tuple[tuple[str, str], ...] = ()
    if sync:
        try:
            with db.session() as session:
                has_sources = bool(list_sources(session))
            if has_sources:
                http = client or HttpClient(
                    timeout=settings.http_timeout, retries=settings.http_retries
                )
                try:
                    outcome = sync_sources(db, client=http)
                finally:
                    if client is None:
                        http.close()
                synced, failures = outcome.reports, outcome.failures
                for location, why in failures:
                    log.warning("advisory source %s could not be synced: %s", location, why)
        except Exception as exc:
            errors.append(f"sync: {type(exc).__name__}: {exc}")
            log.error("advisory sync failed: %s: %s", type(exc).__name__, exc)
    monitoring = MonitorSummary()
    try:
        monitoring = process_pending_runs(db, settings)
    except Exception as exc:
        errors.append(f"monitoring: {type(exc).__name__}: {exc}")
        log.exception("monitoring failed")
    delivery = deliver_due(db, settings)
    return CycleSummary(
        started_at=started_at,
        seconds=time.perf_counter() - started,
        synced=synced,
        sync_failures=failures,
        monitoring=monitoring,
        delivery=delivery,
        errors=tuple(errors),
    )


class SyncScheduler:
    """The embedded engine's scheduler: a daemon thread running `run_sync_cycle` at start-up
    (after `initial_delay` seconds) and then every ADVISORY_SYNC_INTERVAL minutes."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        interval: float | None = None,
        initial_delay: float = 0.0,
        client: HttpClient | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.interval = interval if interval is not None else settings.advisory_sync_interval * 60
        self.initial_delay = initial_delay
        self.client = client
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.cycles: list[CycleSummary | None] = []  # recent results, newest last

    @property
    def enabled(self) -> bool:
        return self.interval > 0

    def start(self) -> SyncScheduler:
        if self.enabled and self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="deeptracy-advisory-sync", daemon=True
            )
            self._thread.start()
        return self

    def stop(self, timeout: float = 60.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        if self._stop.wait(self.initial_delay):
            return
        while True:
            try:
                result = run_sync_cycle(self.db, self.settings, client=self.client)
            except Exception as exc:  # the lock's backend is down, ...: next time
                log.error("advisory sync cycle failed: %s: %s", type(exc).__name__, exc)
                result = None
            self.cycles = [*self.cycles[-9:], result]
            if self._stop.wait(self.interval):
                return
