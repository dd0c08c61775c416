"""The work queue: one set of scan tasks, two engines (embedded in the database, or Celery).

`engine_for(settings, db)` is what the API and webhooks call after committing a scan row:

- BROKER_URI unset: the embedded engine. When this process has started one for `db`
  (`deeptracy serve` does), that engine; otherwise a queue whose `enqueue` wakes any engine
  of this process; the engines of other processes find the row by polling.
- BROKER_URI=redis://...: a CeleryQueue that sends the scan's task to the broker.
"""

from __future__ import annotations

import threading

from deeptracy.config import Settings
from deeptracy.jobs.interface import ScanQueue
from deeptracy.store.db import Database

_celery_queues: dict[tuple[str, str, str, str], ScanQueue] = {}
_lock = threading.Lock()


class DatabaseQueue:
    """The embedded engine's queue seen from a process that runs no engine of its own: the
    scan row is the queued item; `enqueue` only wakes engines of this process, if any."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def enqueue(self, scan_id: str) -> None:
        from deeptracy.jobs.embedded import wake_local_engines

        wake_local_engines(self.db)

    def close(self) -> None:
        return None


def engine_for(settings: Settings, db: Database) -> ScanQueue:
    """The ScanQueue to hand a committed PENDING scan to (see the module docstring)."""
    if settings.broker_uri:
        key = (settings.broker_uri, settings.celery_queue, settings.celery_key_prefix, db.uri)
        with _lock:
            queue = _celery_queues.get(key)
            if queue is None:
                from deeptracy.jobs.celery_app import CeleryQueue

                queue = _celery_queues[key] = CeleryQueue(settings, db)
            return queue
    from deeptracy.jobs.embedded import running_engine

    return running_engine(db) or DatabaseQueue(db)


__all__ = ["DatabaseQueue", "ScanQueue", "engine_for"]
