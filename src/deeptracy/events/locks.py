"""One advisory sync at a time across every worker: a non-blocking, cluster-wide lock.

- BROKER_URI is a Redis (the distributed engine): `SET key token NX PX ttl`, renewed by a
  thread every third of the TTL while held, released only by its holder (compare-and-delete
  in a Lua script). A holder that dies frees the lock when the TTL runs out.
- PostgreSQL: a session-level `pg_try_advisory_lock` on a connection held for the cycle
  (freed by the server if the process dies).
- SQLite: an `fcntl.flock` on a lock file beside the database (freed by the kernel).

The key is ADVISORY_SYNC_LOCK_KEY (hashed to a 64-bit number for PostgreSQL), so deployments
sharing one Redis or PostgreSQL server stay apart.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import secrets
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, text

from deeptracy.config import Settings
from deeptracy.store.db import Database

log = logging.getLogger(__name__)

_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""
_MEMORY_LOCKS: dict[str, threading.Lock] = {}
_MEMORY_GUARD = threading.Lock()


class SyncLock(ABC):
    """A lock taken without waiting: `acquire()` says whether this holder got it."""

    @abstractmethod
    def acquire(self) -> bool: ...

    @abstractmethod
    def release(self) -> None: ...

    @contextlib.contextmanager
    def held(self) -> Iterator[bool]:
        got = self.acquire()
        try:
            yield got
        finally:
            if got:
                self.release()


def pg_lock_id(key: str) -> int:
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)


class PostgresLock(SyncLock):
    def __init__(self, db: Database, key: str) -> None:
        self.db = db
        self.lock_id = pg_lock_id(key)
        self._conn: Connection | None = None

    def acquire(self) -> bool:
        conn = self.db.engine.connect()
        try:
            got = bool(
                conn.execute(
                    text("SELECT pg_try_advisory_lock(:id)"), {"id": self.lock_id}
                ).scalar()
            )
            conn.commit()
        except Exception:
            conn.close()
            raise
        if not got:
            conn.close()
            return False
        self._conn = conn
        return True

    def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": self.lock_id})
            conn.commit()
        finally:
            conn.close()  # closing the session frees it too


class FileLock(SyncLock):
    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[str] | None = None

    def acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._handle = handle
        return True

    def release(self) -> None:
        handle, self._handle = self._handle, None
        if handle is not None:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()


class MemoryLock(SyncLock):
    """For an in-memory SQLite database: only this process can see it anyway."""

    def __init__(self, key: str) -> None:
        with _MEMORY_GUARD:
            self._lock = _MEMORY_LOCKS.setdefault(key, threading.Lock())

    def acquire(self) -> bool:
        return self._lock.acquire(blocking=False)

    def release(self) -> None:
        self._lock.release()


class RedisLock(SyncLock):
    def __init__(self, url: str, key: str, ttl: float, *, client: Any = None) -> None:
        import redis

        self.key = key
        self.ttl_ms = int(ttl * 1000)
        self.client = client or redis.Redis.from_url(url, socket_timeout=10)
        self.token = secrets.token_hex(16)
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None
        self.lost = False  # set when a renewal found another holder (the TTL had run out)

    def acquire(self) -> bool:
        got = bool(self.client.set(self.key, self.token, nx=True, px=self.ttl_ms))
        if got:
            self._stop.clear()
            self._renewer = threading.Thread(
                target=self._renew, name="deeptracy-sync-lock", daemon=True
            )
            self._renewer.start()
        return got

    def _renew(self) -> None:
        while not self._stop.wait(self.ttl_ms / 3000):
            try:
                if not self.client.eval(_RENEW, 1, self.key, self.token, self.ttl_ms):
                    self.lost = True
                    log.warning("the advisory sync lock %s was lost (its TTL ran out)", self.key)
                    return
            except Exception as exc:  # Redis unreachable for a moment: try again
                log.warning("cannot renew the advisory sync lock: %s", type(exc).__name__)

    def release(self) -> None:
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join(timeout=10)
            self._renewer = None
        self.client.eval(_RELEASE, 1, self.key, self.token)


def sync_lock(db: Database, settings: Settings) -> SyncLock:
    """The lock that serialises advisory syncs for this deployment."""
    key = settings.advisory_sync_lock_key
    broker = settings.broker_uri or ""
    if broker.startswith(("redis://", "rediss://", "unix://")):
        return RedisLock(broker, key, settings.advisory_sync_lock_ttl)
    if db.dialect == "postgresql":
        return PostgresLock(db, key)
    database = db.engine.url.database
    if not database or database == ":memory:":
        return MemoryLock(key)
    path = Path(database).expanduser()
    return FileLock(path.with_name(path.name + ".sync.lock"))
