"""The scan tasks as plain functions: idempotent whatever state the scan is in."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import update
from tests.support.git_server import GitRepoFactory
from tests.support.scans import RECORDS, import_records, new_project, new_scan, scan_row

from deeptracy.config import Settings
from deeptracy.jobs.tasks import TaskOutcome, reap_task, scan_task
from deeptracy.store.base import utcnow
from deeptracy.store.db import Database
from deeptracy.store.enums import ScanState
from deeptracy.store.models import Scan


@pytest.fixture
def db(database: Database, tmp_path: Path) -> Database:
    import_records(database, tmp_path / "osv", RECORDS)
    return database


def test_a_task_runs_a_pending_scan_once(
    db: Database, git_settings: Settings, git_repos: GitRepoFactory
) -> None:
    repo = git_repos.create("acme/app", {"requirements.txt": "flask==0.12.2\n"})
    scan_id = new_scan(db, new_project(db, git_settings, repo.file_url))
    assert scan_task(db, git_settings, scan_id) is TaskOutcome.RAN
    assert scan_row(db, scan_id).state == ScanState.DONE
    # Re-delivered (acks_late) or re-sent (reaper): nothing happens again.
    assert scan_task(db, git_settings, scan_id) is TaskOutcome.ALREADY_FINISHED
    assert scan_row(db, scan_id).attempts == 1
    assert scan_task(db, git_settings, "no-such-scan") is TaskOutcome.MISSING


def test_a_running_scan_is_left_to_its_worker(
    db: Database, git_settings: Settings, git_repos: GitRepoFactory
) -> None:
    repo = git_repos.create("acme/app", {"requirements.txt": "flask==0.12.2\n"})
    scan_id = new_scan(db, new_project(db, git_settings, repo.file_url))
    with db.session() as session:
        session.execute(
            update(Scan)
            .where(Scan.id == scan_id)
            .values(state=ScanState.RUNNING, attempts=1, heartbeat_at=utcnow(), worker="x:1")
        )
    assert scan_task(db, git_settings, scan_id) is TaskOutcome.RUNNING_ELSEWHERE
    assert scan_row(db, scan_id).worker == "x:1"


def test_the_reaper_task_resends_what_it_requeued(
    db: Database, git_settings: Settings, git_repos: GitRepoFactory
) -> None:
    repo = git_repos.create("acme/app", {"requirements.txt": "flask==0.12.2\n"})
    project_id = new_project(db, git_settings, repo.file_url)
    lost = new_scan(db, project_id)
    long_pending = new_scan(db, project_id)
    from datetime import timedelta

    old = utcnow() - timedelta(hours=1)
    with db.session() as session:
        session.execute(
            update(Scan)
            .where(Scan.id == lost)
            .values(state=ScanState.RUNNING, attempts=1, heartbeat_at=old, started_at=old)
        )
        session.execute(update(Scan).where(Scan.id == long_pending).values(queued_at=old))
    sent: list[str] = []

    def send(scan_id: str) -> None:
        if scan_id == long_pending:
            raise ConnectionError("broker away")  # logged; the next pass tries again
        sent.append(scan_id)

    report = reap_task(db, git_settings, send)
    assert report.requeued == (lost,)
    assert sorted(report.resend) == sorted([lost, long_pending])
    assert sent == [lost]
    assert scan_row(db, lost).state == ScanState.PENDING
