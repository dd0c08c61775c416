"""Scan-finished listeners: what runs after a scan is stored (notifications register here).

    from deeptracy.scanning import hooks

    @hooks.register
    def notify(event: hooks.ScanFinished) -> None: ...

Every finished scan (DONE, SAME_DEPS_AS_PREVIOUS or FAILED, including one the reaper fails)
calls every listener once, in registration order, after its results are committed. A listener
that raises is logged with its traceback and never changes the scan or stops the other
listeners. Listeners run on the worker that finished the scan: keep them short, or hand the
work to a queue of their own.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from deeptracy.config import Settings
from deeptracy.store.db import Database
from deeptracy.store.enums import ScanState

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScanFinished:
    """A scan that reached a final state. Read its findings from the database with `scan_id`
    (see `scanning.results`); `previous_scan_id` is the branch's previous successful scan,
    the one to compare with for "new" findings."""

    scan_id: str
    project_id: str
    branch: str | None
    state: ScanState
    failure_reason: str | None = None
    failure_detail: str | None = None
    trigger: str | None = None
    previous_scan_id: str | None = None
    total_packages: int | None = None
    total_vulnerabilities: int | None = None
    severity_counts: dict[str, int] | None = None
    database: Database | None = field(default=None, repr=False, compare=False)
    settings: Settings | None = field(default=None, repr=False, compare=False)


Listener = Callable[[ScanFinished], None]

_listeners: list[Listener] = []
_lock = threading.Lock()


def register(listener: Listener) -> Listener:
    """Add a listener (usable as a decorator); registering it twice keeps one."""
    with _lock:
        if listener not in _listeners:
            _listeners.append(listener)
    return listener


def unregister(listener: Listener) -> None:
    with _lock:
        if listener in _listeners:
            _listeners.remove(listener)


def listeners() -> tuple[Listener, ...]:
    with _lock:
        return tuple(_listeners)


def notify(event: ScanFinished, to: Iterable[Listener] | None = None) -> int:
    """Call the listeners (the registered ones unless `to` is given); returns how many
    failed. Failures are logged, never raised."""
    failed = 0
    for listener in listeners() if to is None else tuple(to):
        try:
            listener(event)
        except Exception:
            failed += 1
            log.exception(
                "scan-finished listener %s failed for scan %s",
                getattr(listener, "__qualname__", repr(listener)),
                event.scan_id,
            )
    return failed
