"""What the API, webhooks and schedulers need from a work queue.

A scan is a database row first (state PENDING); `enqueue` only tells an engine that it is
there. The embedded engine's workers poll the table anyway, so a lost notification delays a
scan but never loses it; the Celery engine sends a task carrying the scan id, and a periodic
reaper re-sends tasks for scans left PENDING too long.
"""

from __future__ import annotations

from typing import Protocol


class ScanQueue(Protocol):
    """Hands queued scans to workers. Call `enqueue` after the scan row is committed."""

    def enqueue(self, scan_id: str) -> None: ...

    def close(self) -> None: ...
