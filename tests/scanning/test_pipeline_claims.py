"""Claims and fencing: one worker per scan, and a worker that lost its scan writes nothing."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from tests.support.git_server import GitRepoFactory
from tests.support.scans import RECORDS, import_records, new_project, new_scan, scan_row

from deeptracy.analyzers.interface import Analyzer, AnalyzerContext
from deeptracy.analyzers.model import Finding
from deeptracy.analyzers.osv import OsvAnalyzer
from deeptracy.config import Settings
from deeptracy.inventory.model import Inventory
from deeptracy.scanning.pipeline import claim_next, claim_scan, execute_claimed, run_scan
from deeptracy.store.db import Database
from deeptracy.store.enums import ScanState
from deeptracy.store.models import Analysis, Scan
from deeptracy.store.models import Finding as FindingRow

FILES = {"requirements.txt": "flask==0.12.2\n"}


@pytest.fixture
def db(database: Database, tmp_path: Path) -> Database:
    import_records(database, tmp_path / "osv", RECORDS)
    return database


def test_a_scan_is_claimed_once(
    db: Database, git_settings: Settings, git_repos: GitRepoFactory
) -> None:
    repo = git_repos.create("acme/app", FILES)
    scan_id = new_scan(db, new_project(db, git_settings, repo.file_url))
    first = claim_scan(db, scan_id, "host-a:1")
    assert first is not None and (first.attempt, first.worker) == (1, "host-a:1")
    assert claim_scan(db, scan_id, "host-b:2") is None
    assert run_scan(db, git_settings, scan_id) is None  # RUNNING elsewhere: not touched
    row = scan_row(db, scan_id)
    assert (row.state, row.worker, row.attempts) == (ScanState.RUNNING, "host-a:1", 1)
    event = execute_claimed(db, git_settings, first)
    assert event is not None and event.state == ScanState.DONE
    assert run_scan(db, git_settings, scan_id) is None  # finished: not run again
    assert scan_row(db, scan_id).attempts == 1


def test_claim_next_takes_the_oldest_and_racing_threads_share_the_queue(
    db: Database, git_settings: Settings, git_repos: GitRepoFactory
) -> None:
    repo = git_repos.create("acme/app", FILES)
    project_id = new_project(db, git_settings, repo.file_url)
    ids = [new_scan(db, project_id) for _ in range(12)]
    first = claim_next(db, "w0")
    assert first is not None and first.scan_id == ids[0]
    taken: list[str] = []
    lock = threading.Lock()

    def take() -> None:
        while (claim := claim_next(db, threading.current_thread().name)) is not None:
            with lock:
                taken.append(claim.scan_id)

    threads = [threading.Thread(target=take, name=f"w{i}") for i in range(1, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(taken) == sorted(ids[1:])  # each claimed exactly once
    with db.session() as session:
        assert session.scalar(select(func.max(Scan.attempts))) == 1
    assert claim_next(db) is None


class TakenAway(Analyzer):
    """While it runs, the reaper gives the scan to someone else (PENDING, as after a lost
    heartbeat), then another worker claims it: this worker's claim is void."""

    name = "taken-away"

    def __init__(self, db: Database, scan_id: str) -> None:
        super().__init__()
        self.db, self.scan_id = db, scan_id

    def analyze(self, inventory: Inventory) -> Sequence[Finding]:
        with self.db.session() as session:
            session.execute(
                update(Scan).where(Scan.id == self.scan_id).values(state=ScanState.PENDING)
            )
        assert claim_scan(self.db, self.scan_id, "the-other-worker") is not None
        return []


def test_a_worker_that_lost_its_scan_writes_nothing(
    db: Database, git_settings: Settings, git_repos: GitRepoFactory
) -> None:
    repo = git_repos.create("acme/app", FILES)
    scan_id = new_scan(db, new_project(db, git_settings, repo.file_url))
    osv = OsvAnalyzer(AnalyzerContext(git_settings, db))
    assert run_scan(db, git_settings, scan_id, analyzers=[TakenAway(db, scan_id), osv]) is None
    row = scan_row(db, scan_id)
    assert (row.state, row.worker, row.attempts) == (ScanState.RUNNING, "the-other-worker", 2)
    assert row.finished_at is None and row.total_vulnerabilities is None
    with db.session() as session:
        assert session.scalar(select(func.count()).where(FindingRow.scan_id == scan_id)) == 0

    # The other worker's attempt starts afresh: the lost attempt's analyses are gone.
    with db.session() as session:
        session.execute(update(Scan).where(Scan.id == scan_id).values(state=ScanState.PENDING))
    event = run_scan(db, git_settings, scan_id, analyzers=[osv])
    assert event is not None and event.state == ScanState.DONE
    with db.session() as session:
        names = session.scalars(select(Analysis.analyzer).where(Analysis.scan_id == scan_id))
        assert list(names) == ["osv"]
    assert scan_row(db, scan_id).attempts == 3


class Slow(Analyzer):
    name = "slow"

    def __init__(self, release: threading.Event) -> None:
        super().__init__()
        self.release = release

    def analyze(self, inventory: Inventory) -> Sequence[Finding]:
        self.release.wait(30)
        return []


def test_heartbeats_while_running_and_noticing_a_lost_claim(
    db: Database, git_settings: Settings, git_repos: GitRepoFactory
) -> None:
    repo = git_repos.create("acme/app", FILES)
    scan_id = new_scan(db, new_project(db, git_settings, repo.file_url))
    fast = git_settings.model_copy(
        update={"scan_heartbeat_interval": 0.05, "scan_heartbeat_timeout": 1.0}
    )
    release = threading.Event()
    results: list[object] = []
    worker = threading.Thread(
        target=lambda: results.append(run_scan(db, fast, scan_id, analyzers=[Slow(release)]))
    )
    worker.start()
    try:
        from tests.support.scans import wait_for

        wait_for(lambda: scan_row(db, scan_id).stage == "ANALYZING", 30, what="analyzing")
        beat = scan_row(db, scan_id).heartbeat_at
        wait_for(lambda: scan_row(db, scan_id).heartbeat_at != beat, 5, what="a new heartbeat")
        # The reaper requeues it (as if the heartbeat had been missed).
        with db.session() as session:
            session.execute(
                update(Scan).where(Scan.id == scan_id).values(state=ScanState.PENDING, worker=None)
            )
        release.set()
        worker.join(30)
    finally:
        release.set()
    assert results == [None]
    row = scan_row(db, scan_id)
    assert (row.state, row.finished_at) == (ScanState.PENDING, None)
