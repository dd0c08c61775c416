"""The sync lock (file, PostgreSQL, Redis; other processes hold it for real) and the sync cycle:
sync a remembered source, monitor its delta, deliver the notifications."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from deeptracy.config import Settings
from deeptracy.events.channels import set_channels
from deeptracy.events.locks import FileLock, MemoryLock, PostgresLock, RedisLock, sync_lock
from deeptracy.events.scheduler import SyncScheduler, run_sync_cycle
from deeptracy.store.db import Database
from deeptracy.store.enums import DeliveryState
from deeptracy.store.models import Notification
from deeptracy.vault import Vault
from tests.events.seed import make_project, make_scan, pkg
from tests.events.test_monitoring import import_dir
from tests.support.http_receiver import HttpReceiver
from tests.support.osv_records import affected, osv, rng, write_dir


class Holder:
    """Another process that takes a lock and keeps it until stopped."""

    def __init__(self, code: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(code)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        assert line == "locked", f"the holder said {line!r}"

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()  # the holder exits when its stdin closes
        self.process.wait(timeout=20)


@pytest.fixture
def lock_key() -> str:
    return f"deeptracy-test:sync:{uuid.uuid4().hex}"


def test_file_lock_is_exclusive_across_processes(tmp_path: Path) -> None:
    path = tmp_path / "deeptracy.db.sync.lock"
    holder = Holder(
        f"""
        import sys
        from pathlib import Path
        from deeptracy.events.locks import FileLock
        lock = FileLock(Path({str(path)!r}))
        assert lock.acquire()
        print("locked", flush=True)
        sys.stdin.read()
        """
    )
    try:
        assert FileLock(path).acquire() is False
    finally:
        holder.stop()
    mine, other = FileLock(path), FileLock(path)
    assert mine.acquire() is True
    assert other.acquire() is False  # another open file in this process is refused too
    mine.release()
    with other.held() as got:
        assert got is True


@pytest.mark.postgres
def test_postgres_lock_is_exclusive_across_processes(postgres_uri: str, lock_key: str) -> None:
    holder = Holder(
        f"""
        import sys
        from deeptracy.events.locks import PostgresLock
        from deeptracy.store.db import Database
        lock = PostgresLock(Database({postgres_uri!r}), {lock_key!r})
        assert lock.acquire()
        print("locked", flush=True)
        sys.stdin.read()
        """
    )
    db = Database(postgres_uri)
    try:
        assert PostgresLock(db, lock_key).acquire() is False
        # Another key is another lock.
        with PostgresLock(db, lock_key + ":other").held() as got:
            assert got is True
    finally:
        holder.stop()
    first, second = PostgresLock(db, lock_key), PostgresLock(db, lock_key)
    assert first.acquire() is True
    assert second.acquire() is False  # another connection of this process
    first.release()
    assert second.acquire() is True
    second.release()
    db.dispose()


@pytest.mark.redis
def test_redis_lock_is_exclusive_renewed_and_released_by_its_holder(
    redis_uri: str, lock_key: str
) -> None:
    import redis

    client = redis.Redis.from_url(redis_uri)
    try:
        first = RedisLock(redis_uri, lock_key, ttl=0.6)
        second = RedisLock(redis_uri, lock_key, ttl=0.6)
        assert first.acquire() is True
        assert second.acquire() is False
        time.sleep(1.5)  # well past the TTL: renewed meanwhile
        assert client.get(lock_key) == first.token.encode()
        assert second.acquire() is False
        second.release()  # not the holder: nothing happens
        assert client.get(lock_key) == first.token.encode()
        first.release()
        assert client.get(lock_key) is None
        assert second.acquire() is True
        second.release()
        # A holder that died (no renewal) frees the lock when the TTL runs out.
        client.set(lock_key, "someone-gone", px=300)
        assert first.acquire() is False
        time.sleep(0.5)
        assert first.acquire() is True
        first.release()
    finally:
        client.delete(lock_key)
        client.close()


def test_the_lock_follows_the_deployment(
    settings: Settings, database: Database, lock_key: str, tmp_path: Path
) -> None:
    lock = sync_lock(database, settings)
    expected = PostgresLock if database.dialect == "postgresql" else FileLock
    assert isinstance(lock, expected)
    redis_settings = settings.model_copy(update={"broker_uri": "redis://127.0.0.1:1/0"})
    assert isinstance(sync_lock(database, redis_settings), RedisLock)
    assert isinstance(sync_lock(Database("sqlite://"), settings), MemoryLock)


# ---- the cycle -----------------------------------------------------------------------------------


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    server = HttpReceiver().start()
    yield server
    server.stop()


def cycle_world(
    database: Database, settings: Settings, vault: Vault, receiver: HttpReceiver, source: Path
) -> str:
    import_dir(
        database,
        source,
        [
            osv(
                "GHSA-aa01",
                affected("PyPI", "django", rng(("introduced", "0"), ("fixed", "3.2.5"))),
            )
        ],
    )
    with database.session() as session:
        project = make_project(session, "shop", policy="new")
        set_channels(project, settings, vault, [{"type": "slack", "url": receiver.url("/slack")}])
        django = pkg("PyPI", "Django", "3.2.0")
        from tests.events.seed import finding

        scan = make_scan(
            session,
            project,
            "main",
            [django, pkg("PyPI", "urllib3", "1.26.0")],
            [finding("GHSA-aa01", django)],
        )
        return scan.id


def publish_new_advisory(source: Path) -> None:
    write_dir(
        source,
        [
            osv(
                "GHSA-ul01",
                affected("PyPI", "urllib3", rng(("introduced", "0"), ("fixed", "1.26.5"))),
                modified="2024-02-01T00:00:00Z",
                database_specific={"severity": "HIGH"},
            )
        ],
    )


def test_a_cycle_syncs_monitors_and_delivers(
    database: Database,
    notify_settings: Settings,
    vault: Vault,
    receiver: HttpReceiver,
    tmp_path: Path,
    lock_key: str,
) -> None:
    settings = notify_settings.model_copy(update={"advisory_sync_lock_key": lock_key})
    source = tmp_path / "osv"
    cycle_world(database, settings, vault, receiver, source)
    publish_new_advisory(source)
    summary = run_sync_cycle(database, settings)
    assert summary is not None
    (synced,) = summary.synced
    assert (synced.kind, synced.new) == ("sync", ("GHSA-ul01",))
    assert [r.run_id for r in summary.monitoring.runs] == [
        1,
        synced.run_id,
    ]  # the import, then the sync
    assert summary.monitoring.findings_added == 1
    assert summary.delivery.sent == 1
    assert summary.errors == () and summary.sync_failures == ()
    (request,) = receiver.requests_for("/slack")
    assert request.json()["text"] == "shop@main: 1 new high vulnerability from an advisory update"
    # Nothing new: the next cycle syncs an unchanged source and sends nothing.
    again = run_sync_cycle(database, settings)
    assert again is not None
    assert [r.findings_added for r in again.monitoring.runs] == [0]
    assert again.delivery.sent == 0
    assert again.to_dict()["errors"] == []


def test_a_cycle_is_skipped_while_another_holds_the_lock(
    database: Database, notify_settings: Settings, lock_key: str
) -> None:
    settings = notify_settings.model_copy(update={"advisory_sync_lock_key": lock_key})
    other = sync_lock(database, settings)
    assert other.acquire()
    try:
        assert run_sync_cycle(database, settings) is None
    finally:
        other.release()
    assert run_sync_cycle(database, settings) is not None


def test_a_failing_source_is_reported_and_the_rest_goes_on(
    database: Database,
    notify_settings: Settings,
    vault: Vault,
    receiver: HttpReceiver,
    tmp_path: Path,
    lock_key: str,
) -> None:
    settings = notify_settings.model_copy(update={"advisory_sync_lock_key": lock_key})
    source = tmp_path / "osv"
    cycle_world(database, settings, vault, receiver, source)
    (source / "GHSA-aa01.json").unlink()
    source.rmdir()  # the remembered directory is gone
    summary = run_sync_cycle(database, settings)
    assert summary is not None
    assert [s for s, _ in summary.sync_failures] == [str(source)]
    assert "no such file or directory" in summary.sync_failures[0][1]
    assert [r.run_id for r in summary.monitoring.runs] == [1]  # the earlier import still monitored


def test_the_embedded_scheduler_runs_cycles_until_stopped(
    database: Database,
    notify_settings: Settings,
    vault: Vault,
    receiver: HttpReceiver,
    tmp_path: Path,
    lock_key: str,
) -> None:
    settings = notify_settings.model_copy(update={"advisory_sync_lock_key": lock_key})
    source = tmp_path / "osv"
    cycle_world(database, settings, vault, receiver, source)
    scheduler = SyncScheduler(database, settings, interval=0.3).start()
    try:
        publish_new_advisory(source)
        receiver.wait_for("/slack", 1, timeout=20)
        deadline = time.monotonic() + 20
        while len(scheduler.cycles) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        scheduler.stop()
    assert len(scheduler.cycles) >= 3
    assert all(c is not None and c.errors == () for c in scheduler.cycles)
    with database.session() as session:
        states = list(session.scalars(select(Notification.state)))
    assert states == [DeliveryState.SENT]
    assert len(receiver.requests_for("/slack")) == 1


def test_interval_zero_disables_the_scheduler(database: Database, settings: Settings) -> None:
    scheduler = SyncScheduler(database, settings)  # ADVISORY_SYNC_INTERVAL defaults to 0
    assert not scheduler.enabled
    scheduler.start()
    scheduler.stop()
    assert scheduler.cycles == []
    assert (
        SyncScheduler(database, settings.model_copy(update={"advisory_sync_interval": 5})).interval
        == 300
    )
