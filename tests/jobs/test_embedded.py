"""The embedded engine: worker threads over the scan table, restarts, and a killed worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from tests.support.git_server import GitRepoFactory
from tests.support.scans import (
    RECORDS,
    analyses,
    import_records,
    new_project,
    new_scan,
    scan_row,
    states,
    wait_finished,
    wait_for,
)
from tests.support.services import REPO_ROOT
from tests.support.slow_plugin import slow_pid, write_slow_plugin

from deeptracy.analyzers.interface import Analyzer, AnalyzerContext
from deeptracy.analyzers.model import Finding
from deeptracy.analyzers.osv import OsvAnalyzer
from deeptracy.config import Settings
from deeptracy.inventory.model import Inventory
from deeptracy.jobs import DatabaseQueue, engine_for
from deeptracy.jobs.embedded import EmbeddedEngine
from deeptracy.store.db import Database
from deeptracy.store.enums import AnalysisState, FailureReason, ScanState

REQUIREMENTS = "flask==0.12.2\nrequests==2.20.0\n"


@pytest.fixture
def db(database: Database, tmp_path: Path) -> Database:
    import_records(database, tmp_path / "osv", RECORDS)
    return database


@pytest.fixture
def engines() -> Iterator[list[EmbeddedEngine]]:
    started: list[EmbeddedEngine] = []
    yield started
    for engine in started:
        engine.stop(timeout=10)


def test_twenty_scans_two_workers_none_lost(
    db: Database, git_settings: Settings, git_repos: GitRepoFactory, engines: list[EmbeddedEngine]
) -> None:
    ids = []
    for i in range(20):
        repo = git_repos.create(f"acme/app{i}", {"requirements.txt": REQUIREMENTS})
        ids.append(new_scan(db, new_project(db, git_settings, repo.file_url)))
    engine = EmbeddedEngine(db, git_settings, workers=2)
    engines.append(engine.start())
    started = time.monotonic()
    for scan_id in ids:
        engine.enqueue(scan_id)
    final = wait_finished(db, ids, timeout=120)
    elapsed = time.monotonic() - started
    assert set(final.values()) == {ScanState.DONE}, final
    workers = {scan_row(db, i).worker for i in ids}
    assert len(workers) == 2 and all(w and w.endswith((":w1", ":w2")) for w in workers)
    assert all(scan_row(db, i).total_vulnerabilities == 2 for i in ids)
    assert engine.completed == 20 and engine.busy == 0
    print(f"embedded: 20 scans with 2 workers in {elapsed:.2f}s")


class Gate(Analyzer):
    """Holds every analysis until released."""

    name = "gate"

    def __init__(self, release: threading.Event) -> None:
        super().__init__()
        self.release = release
        self.entered = threading.Event()

    def analyze(self, inventory: Inventory) -> Sequence[Finding]:
        self.entered.set()
        self.release.wait(60)
        return []


def test_queued_scans_survive_a_restart(
    db: Database, git_settings: Settings, git_repos: GitRepoFactory, engines: list[EmbeddedEngine]
) -> None:
    repo = git_repos.create("acme/app", {"requirements.txt": REQUIREMENTS})
    project_id = new_project(db, git_settings, repo.file_url)
    release = threading.Event()
    gate = Gate(release)
    osv = OsvAnalyzer(AnalyzerContext(git_settings, db))
    first = EmbeddedEngine(db, git_settings, workers=1, analyzers=[gate, osv])
    first.start()
    ids = [new_scan(db, project_id) for _ in range(6)]
    for scan_id in ids:
        first.enqueue(scan_id)
    assert gate.entered.wait(30)
    # Stop while one scan runs and five wait; the running one may finish within the timeout.
    stopper = threading.Thread(target=first.stop, kwargs={"timeout": 30})
    stopper.start()
    time.sleep(0.2)
    release.set()
    stopper.join(40)
    assert not first.running
    now = states(db, ids)
    assert now[ids[0]] == ScanState.DONE
    assert [now[i] for i in ids[1:]] == [ScanState.PENDING] * 5

    # A new process (here: a new engine) picks the queue up from the table.
    second = EmbeddedEngine(db, git_settings, workers=2, analyzers=[osv])
    engines.append(second.start())
    final = wait_finished(db, ids, timeout=60)
    assert final[ids[0]] == ScanState.DONE
    assert all(s in (ScanState.DONE, ScanState.SAME_DEPS_AS_PREVIOUS) for s in final.values())


def test_engine_for_hands_scans_to_the_running_engine(
    db: Database, git_settings: Settings, git_repos: GitRepoFactory, engines: list[EmbeddedEngine]
) -> None:
    assert isinstance(engine_for(git_settings, db), DatabaseQueue)
    slow_poll = git_settings.model_copy(update={"worker_poll_interval": 60.0})
    engine = EmbeddedEngine(db, slow_poll, workers=1)
    engines.append(engine.start())
    assert engine_for(slow_poll, db) is engine
    # Another handle on the same database (another request's) still wakes the engine.
    other = Database(db.uri)
    queue = engine_for(slow_poll, other)
    assert queue is engine
    repo = git_repos.create("acme/app", {"requirements.txt": REQUIREMENTS})
    time.sleep(0.3)  # the worker is now idle, waiting up to 60 s unless woken
    scan_id = new_scan(db, new_project(db, slow_poll, repo.file_url))
    started = time.monotonic()
    DatabaseQueue(other).enqueue(scan_id)
    wait_finished(db, [scan_id], timeout=30)
    assert time.monotonic() - started < 20
    other.dispose()


@pytest.mark.parametrize("attempts", [2, 1], ids=["retried", "given-up"])
def test_a_killed_worker_process_is_reaped(
    db: Database,
    database_uri: str,
    git_settings: Settings,
    git_repos: GitRepoFactory,
    tmp_path: Path,
    engines: list[EmbeddedEngine],
    monkeypatch: pytest.MonkeyPatch,
    attempts: int,
) -> None:
    plugins = write_slow_plugin(tmp_path / "plugins")
    marker = tmp_path / "slow.marker"
    repo = git_repos.create("acme/app", {"requirements.txt": REQUIREMENTS})
    scan_id = new_scan(db, new_project(db, git_settings, repo.file_url))
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT / "src"),
        "DATABASE_URI": database_uri,
        "ALLOW_FILE_URLS": "true",
        "PLUGINS_LOCATION": str(plugins),
        "SCAN_HEARTBEAT_INTERVAL": "0.2",
        "SCAN_HEARTBEAT_TIMEOUT": "1",
        "DEEPTRACY_TEST_SLOW_MARKER": str(marker),
    }
    script = (
        "import sys\n"
        "from deeptracy.config import load_settings\n"
        "from deeptracy.store.db import Database\n"
        "from deeptracy.scanning.pipeline import run_scan\n"
        "s = load_settings()\n"
        "run_scan(Database(s.effective_database_uri), s, sys.argv[1])\n"
    )
    worker = subprocess.Popen(
        [sys.executable, "-c", script, scan_id], env=env, cwd=tmp_path, start_new_session=True
    )
    try:
        wait_for(lambda: slow_pid(marker) is not None, 60, what="the slow analysis")
        running = scan_row(db, scan_id)
        assert (running.state, running.stage, running.attempts) == (
            ScanState.RUNNING,
            "ANALYZING",
            1,
        )
        assert running.worker == f"{os.uname().nodename}:{worker.pid}"
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(10)
    killed_at = time.monotonic()
    assert scan_row(db, scan_id).state == ScanState.RUNNING  # nobody else knows yet

    config = git_settings.model_copy(
        update={
            "plugins_location": plugins,
            "scan_heartbeat_interval": 0.2,
            "scan_heartbeat_timeout": 1.0,
            "reaper_interval": 0.2,
            "max_scan_attempts": attempts,
        }
    )
    monkeypatch.setenv("DEEPTRACY_TEST_SLOW_MARKER", str(marker))
    engine = EmbeddedEngine(db, config, workers=1)
    engines.append(engine.start())
    final = wait_finished(db, [scan_id], timeout=30)
    assert time.monotonic() - killed_at < 20
    row = scan_row(db, scan_id)
    if attempts == 2:
        assert final[scan_id] == ScanState.DONE
        assert row.attempts == 2 and row.worker and row.worker.endswith(":w1")
        assert {n: a.state for n, a in analyses(db, scan_id).items()} == {
            "osv": AnalysisState.DONE,
            "slow-once": AnalysisState.DONE,
        }
        assert row.total_vulnerabilities == 2
    else:
        assert (final[scan_id], row.failure_reason) == (ScanState.FAILED, FailureReason.WORKER_LOST)
        assert row.failure_detail is not None
        assert f":{worker.pid})" in row.failure_detail
        assert analyses(db, scan_id)["slow-once"].state == AnalysisState.FAILED
