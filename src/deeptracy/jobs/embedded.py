"""The embedded engine: worker threads in the service process over a queue kept in the database.

The queue is the scan table itself: a PENDING row is a queued scan, so queued scans survive a
restart, and several processes (two `deeptracy serve` on one PostgreSQL) can share the work.
Each of the N worker threads claims the oldest PENDING scan (`scanning.pipeline.claim_next`),
runs it, and looks again; an idle thread sleeps until `enqueue` wakes it or
WORKER_POLL_INTERVAL passes (so a scan queued by another process waits at most that long).
A reaper thread runs `jobs.reaper.reap` every REAPER_INTERVAL seconds, so a scan whose worker
died (this process killed mid-scan, then restarted) is requeued or failed.

    engine = EmbeddedEngine(db, settings, workers=2)
    engine.start()
    ...
    engine.enqueue(scan.id)   # after the scan row is committed
    ...
    engine.stop(timeout=30)   # waits for running scans up to `timeout`
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Sequence

from deeptracy.analyzers.interface import Analyzer
from deeptracy.analyzers.registry import AnalyzerSet, analyzers_for
from deeptracy.config import Settings
from deeptracy.jobs.reaper import reap
from deeptracy.scanning import hooks as scan_hooks
from deeptracy.scanning.pipeline import claim_next, execute_claimed, worker_identity
from deeptracy.scanning.workspace import remove_stale_workspaces
from deeptracy.store.db import Database

log = logging.getLogger(__name__)

_ERROR_BACKOFF = 2.0

# Started engines of this process, so that any ScanQueue for the same database wakes them.
_engines: weakref.WeakSet[EmbeddedEngine] = weakref.WeakSet()
_engines_lock = threading.Lock()


def wake_local_engines(db: Database) -> int:
    """Wake the started engines of this process that serve `db`'s database; returns how many."""
    with _engines_lock:
        engines = [e for e in _engines if e.db.uri == db.uri and e.running]
    for engine in engines:
        engine.notify()
    return len(engines)


def running_engine(db: Database) -> EmbeddedEngine | None:
    with _engines_lock:
        return next((e for e in _engines if e.db.uri == db.uri and e.running), None)


class EmbeddedEngine:
    """In-process scan workers; implements `jobs.interface.ScanQueue`."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        workers: int | None = None,
        *,
        analyzers: Sequence[Analyzer] | AnalyzerSet | None = None,
        hooks: Sequence[scan_hooks.Listener] | None = None,
        poll_interval: float | None = None,
        reaper_interval: float | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.workers = settings.embedded_workers if workers is None else workers
        if self.workers < 0:
            raise ValueError("workers must be zero or more")
        self.analyzers = analyzers
        self.hooks = hooks
        self.poll_interval = poll_interval or settings.worker_poll_interval
        self.reaper_interval = reaper_interval or settings.reaper_interval
        self._signals = 0
        self._cond = threading.Condition()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._busy = 0
        self.completed = 0

    @property
    def running(self) -> bool:
        return bool(self._threads) and not self._stopping.is_set()

    @property
    def busy(self) -> int:
        """Worker threads running a scan right now."""
        with self._cond:
            return self._busy

    def start(self) -> EmbeddedEngine:
        if self._threads:
            raise RuntimeError("the engine is already started")
        self._stopping.clear()
        if self.analyzers is None:
            # Built once here (plugins imported, advisory index loaded lazily) for every thread.
            self.analyzers = analyzers_for(self.settings, self.db)
        removed = remove_stale_workspaces(
            self.settings, self.settings.scan_timeout + self.settings.scan_heartbeat_timeout
        )
        if removed:
            log.info("removed %d workspaces left by a previous run", len(removed))
        for index in range(self.workers):
            thread = threading.Thread(
                target=self._work,
                args=(worker_identity(f"w{index + 1}"),),
                name=f"deeptracy-worker-{index + 1}",
                daemon=True,
            )
            self._threads.append(thread)
        reaper = threading.Thread(target=self._reap, name="deeptracy-reaper", daemon=True)
        self._threads.append(reaper)
        if self.workers:
            threading.Thread(target=self._warm, name="deeptracy-warm-up", daemon=True).start()
        with _engines_lock:
            _engines.add(self)
        for thread in self._threads:
            thread.start()
        log.info("embedded engine started with %d workers", self.workers)
        return self

    def notify(self) -> None:
        with self._cond:
            self._signals += 1
            self._cond.notify()

    def enqueue(self, scan_id: str) -> None:
        """Wake a worker for a committed PENDING scan (it would be found by polling anyway)."""
        self.notify()

    def stop(self, timeout: float = 30.0) -> bool:
        """Stop taking scans and wait up to `timeout` seconds for running ones; True when every
        thread ended. A scan still running afterwards finishes in its (daemon) thread, or is
        requeued by a reaper once this process is gone."""
        self._stopping.set()
        with self._cond:
            self._cond.notify_all()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        alive = [t for t in self._threads if t.is_alive()]
        if alive:
            log.warning("embedded engine stopped with %d scans still running", len(alive))
        self._threads = []
        with _engines_lock:
            _engines.discard(self)
        return not alive

    def close(self) -> None:
        self.stop()

    # -- threads

    def _wait_for_work(self) -> None:
        with self._cond:
            self._cond.wait_for(
                lambda: self._signals > 0 or self._stopping.is_set(), timeout=self.poll_interval
            )
            if self._signals > 0:
                self._signals -= 1

    def _work(self, identity: str) -> None:
        while not self._stopping.is_set():
            try:
                claim = claim_next(self.db, identity)
            except Exception as exc:
                log.warning("worker %s cannot read the queue: %s", identity, exc)
                self._stopping.wait(_ERROR_BACKOFF)
                continue
            if claim is None:
                self._wait_for_work()
                continue
            with self._cond:
                self._busy += 1
            try:
                execute_claimed(
                    self.db, self.settings, claim, analyzers=self.analyzers, hooks=self.hooks
                )
            except Exception:  # the pipeline records its own failures; this is a last resort
                log.exception("worker %s: scan %s escaped the pipeline", identity, claim.scan_id)
            finally:
                with self._cond:
                    self._busy -= 1
                    self.completed += 1

    def _warm(self) -> None:
        for analyzer in _analyzer_tuple(self.analyzers):
            try:
                analyzer.warm()
            except Exception as exc:  # the first scan will report the problem properly
                log.warning("analyzer %s could not warm up: %s", analyzer.name, exc)

    def _reap(self) -> None:
        while True:
            try:
                report = reap(self.db, self.settings, hooks=self.hooks)
                if report.requeued:
                    for _ in report.requeued:
                        self.notify()
            except Exception as exc:
                log.warning("reaper pass failed: %s", exc)
            if self._stopping.wait(self.reaper_interval):
                return


def _analyzer_tuple(analyzers: Sequence[Analyzer] | AnalyzerSet | None) -> tuple[Analyzer, ...]:
    if analyzers is None:
        return ()
    if isinstance(analyzers, AnalyzerSet):
        return analyzers.analyzers
    return tuple(analyzers)
