"""The distributed engine: real `deeptracy worker` processes on the real Redis.

Each test gets its own queue name and Redis key prefix, so parallel test runs sharing the
Redis server never take each other's tasks; its keys are deleted afterwards.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from tests.support.git_server import GitRepoFactory, closed_port
from tests.support.scans import (
    RECORDS,
    analyses,
    import_records,
    new_project,
    new_scan,
    scan_row,
    wait_finished,
    wait_for,
)
from tests.support.services import REPO_ROOT
from tests.support.slow_plugin import slow_pid, write_slow_plugin

from deeptracy.config import Settings
from deeptracy.jobs import engine_for
from deeptracy.jobs.celery_app import CeleryQueue, check_broker_uri, create_celery
from deeptracy.store.db import Database
from deeptracy.store.enums import AnalysisState, FailureReason, ScanState

pytestmark = [pytest.mark.redis, pytest.mark.slow]

REQUIREMENTS = "flask==0.12.2\nrequests==2.20.0\n"


@dataclass
class Cluster:
    """Settings and environment shared by the test and its worker processes."""

    root: Path
    settings: Settings
    env: dict[str, str]
    processes: list[tuple[subprocess.Popen[bytes], Path]] = field(default_factory=list)

    def start(self, name: str, *args: str, **env: str) -> tuple[subprocess.Popen[bytes], Path]:
        """`deeptracy worker <args>` with its own workspace folder and log file."""
        workspace = self.root / f"workspace-{name}"
        log = self.root / f"{name}.log"
        process = subprocess.Popen(
            [sys.executable, "-m", "deeptracy", "worker", *args],
            env={**self.env, "SHARED_VOLUME_PATH": str(workspace), **env},
            cwd=self.root,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: a kill reaches its children
        )
        self.processes.append((process, log))
        return process, workspace

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)

    def stop_all(self) -> None:
        for process, _log in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process, _log in self.processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill(process)

    def logs(self) -> str:
        return "\n".join(
            f"--- {log.name}\n{log.read_text(errors='replace')[-4000:]}"
            for _p, log in self.processes
        )


@pytest.fixture
def cluster(
    redis_uri: str, database_uri: str, git_settings: Settings, tmp_path: Path
) -> Iterator[Cluster]:
    tag = uuid.uuid4().hex[:10]
    values = {
        "database_uri": database_uri,
        "broker_uri": redis_uri,
        "celery_queue": f"deeptracy-test-{tag}",
        "celery_key_prefix": f"deeptracy-test-{tag}:",
        "scan_heartbeat_interval": 0.3,
        "scan_heartbeat_timeout": 2.0,
        "reaper_interval": 0.5,
        "scan_requeue_after": 5.0,
    }
    settings = git_settings.model_copy(update=values)
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT / "src"),
        "ALLOW_FILE_URLS": "true",
        "ALLOW_HTTP_URLS": "true",
        "LOG_LEVEL": "INFO",
        **{k.upper(): str(v) for k, v in values.items()},
    }
    found = Cluster(tmp_path, settings, env)
    yield found
    found.stop_all()
    import redis

    client = redis.Redis.from_url(redis_uri)
    keys = list(client.scan_iter(f"{values['celery_key_prefix']}*"))
    keys += list(client.scan_iter(f"*{values['celery_queue']}*"))
    if keys:
        client.delete(*keys)


@pytest.fixture
def db(database: Database, tmp_path: Path) -> Database:
    import_records(database, tmp_path / "osv", RECORDS)
    return database


def test_twenty_scans_two_workers_separate_workspaces(
    db: Database, cluster: Cluster, git_repos: GitRepoFactory
) -> None:
    ids = []
    for i in range(20):
        repo = git_repos.create(f"acme/app{i}", {"requirements.txt": REQUIREMENTS})
        url = repo.http_url if i % 2 else repo.file_url
        ids.append(new_scan(db, new_project(db, cluster.settings, url)))
    queue = engine_for(cluster.settings, db)
    assert isinstance(queue, CeleryQueue)
    assert engine_for(cluster.settings, db) is queue
    # Queued before any worker exists: the broker keeps them.
    for scan_id in ids:
        queue.enqueue(scan_id)
    assert all(scan_row(db, i).queued_at is not None for i in ids)
    _a, workspace_a = cluster.start("a", "--concurrency", "1")
    _b, workspace_b = cluster.start("b", "--concurrency", "1")
    started = time.monotonic()
    try:
        final = wait_finished(db, ids, timeout=180)
    except AssertionError:
        raise AssertionError(cluster.logs()) from None
    elapsed = time.monotonic() - started
    assert set(final.values()) == {ScanState.DONE}, cluster.logs()
    workers = {scan_row(db, i).worker for i in ids}
    assert len(workers) == 2, workers
    logs = cluster.logs()
    # Each worker cloned into its own local workspace, and cleaned it up.
    assert f"cloned into {workspace_a}/scan-" in logs
    assert f"cloned into {workspace_b}/scan-" in logs
    assert list(workspace_a.iterdir()) == [] and list(workspace_b.iterdir()) == []
    assert all(scan_row(db, i).total_vulnerabilities == 2 for i in ids)
    print(f"celery: 20 scans with 2 workers in {elapsed:.2f}s (from the first worker start)")


@pytest.mark.parametrize("attempts", [3, 1], ids=["retried", "given-up"])
def test_a_worker_killed_in_mid_scan_loses_no_scan(
    db: Database, cluster: Cluster, git_repos: GitRepoFactory, tmp_path: Path, attempts: int
) -> None:
    plugins = write_slow_plugin(tmp_path / "plugins")
    marker = tmp_path / "slow.marker"
    extra = {
        "PLUGINS_LOCATION": str(plugins),
        "DEEPTRACY_TEST_SLOW_MARKER": str(marker),
        "MAX_SCAN_ATTEMPTS": str(attempts),
    }
    repo = git_repos.create("acme/app", {"requirements.txt": REQUIREMENTS})
    scan_id = new_scan(db, new_project(db, cluster.settings, repo.http_url))
    doomed, _ = cluster.start("doomed", "--concurrency", "1", **extra)
    engine_for(cluster.settings, db).enqueue(scan_id)
    try:
        wait_for(lambda: slow_pid(marker) is not None, 60, what="the slow analysis")
    except AssertionError:
        raise AssertionError(cluster.logs()) from None
    running = scan_row(db, scan_id)
    assert (running.state, running.stage, running.attempts) == (ScanState.RUNNING, "ANALYZING", 1)
    cluster.kill(doomed)  # SIGKILL to the worker and its pool processes
    killed_at = time.monotonic()

    # Another worker, with the reaper's schedule (beat). The task the dead worker held is not
    # acknowledged; the reaper requeues the scan once its heartbeat is 2 s old and re-sends it.
    cluster.start("rescuer", "--concurrency", "1", "--beat", **extra)
    try:
        final = wait_finished(db, [scan_id], timeout=60)
    except AssertionError:
        raise AssertionError(cluster.logs()) from None
    took = time.monotonic() - killed_at
    assert took < 45, cluster.logs()
    row = scan_row(db, scan_id)
    if attempts > 1:
        assert final[scan_id] == ScanState.DONE, cluster.logs()
        assert row.attempts == 2
        assert row.worker != running.worker
        assert {n: a.state for n, a in analyses(db, scan_id).items()} == {
            "osv": AnalysisState.DONE,
            "slow-once": AnalysisState.DONE,
        }
    else:
        assert (final[scan_id], row.failure_reason) == (ScanState.FAILED, FailureReason.WORKER_LOST)
        assert f"({running.worker})" in (row.failure_detail or "")
    print(f"celery kill test ({attempts} attempts): settled {took:.1f}s after the kill")


def test_a_lost_task_message_is_sent_again(
    db: Database, cluster: Cluster, git_repos: GitRepoFactory
) -> None:
    repo = git_repos.create("acme/app", {"requirements.txt": REQUIREMENTS})
    # Committed but never enqueued (the API process died between commit and send).
    scan_id = new_scan(db, new_project(db, cluster.settings, repo.file_url))
    cluster.start("only", "--concurrency", "1", "--beat")
    try:
        final = wait_finished(db, [scan_id], timeout=60)
    except AssertionError:
        raise AssertionError(cluster.logs()) from None
    assert final[scan_id] == ScanState.DONE


def test_an_unreachable_broker_does_not_fail_the_request(
    db: Database, git_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    settings = git_settings.model_copy(
        update={"broker_uri": f"redis://127.0.0.1:{closed_port()}/0"}
    )
    queue = CeleryQueue(settings, db)
    started = time.monotonic()
    queue.enqueue("a-scan-id")
    assert time.monotonic() - started < 30
    assert "the reaper re-sends it" in caplog.text
    queue.close()


def test_broker_uri_must_be_redis(git_settings: Settings) -> None:
    assert check_broker_uri("rediss://h:6380/1") == "rediss://h:6380/1"
    with pytest.raises(ValueError, match=r"redis:// or rediss:// URL, not 'amqp://\*\*\*@h/'"):
        check_broker_uri("amqp://u:secret@h/")
    with pytest.raises(ValueError, match="BROKER_URI is not set"):
        create_celery(git_settings)
    app = create_celery(git_settings.model_copy(update={"broker_uri": "redis://h/0"}))
    conf = app.conf
    assert (conf.task_acks_late, conf.task_reject_on_worker_lost) == (True, True)
    assert (conf.worker_prefetch_multiplier, conf.accept_content) == (1, ["json"])
    assert conf.broker_transport_options == {"visibility_timeout": 1800 + 120}
    assert {"deeptracy.scan", "deeptracy.reap"} <= set(app.tasks)
    # Two apps in one process (two deployments, or tests) keep their own task callables.
    other = create_celery(git_settings.model_copy(update={"broker_uri": "redis://other/0"}))
    assert other.tasks["deeptracy.scan"] is not app.tasks["deeptracy.scan"]
