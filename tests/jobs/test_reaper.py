"""The reaper over scan rows in every situation it must tell apart (both backends)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update
from tests.support.scans import analyses, scan_row

from deeptracy.config import Settings
from deeptracy.jobs.reaper import reap
from deeptracy.projects.registry import create_project
from deeptracy.projects.scans import request_scan
from deeptracy.scanning import hooks
from deeptracy.store.base import utcnow
from deeptracy.store.db import Database
from deeptracy.store.enums import AnalysisState, FailureReason, ScanState
from deeptracy.store.models import Analysis, Scan
from deeptracy.vault import Vault


@pytest.fixture
def config(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "scan_heartbeat_timeout": 60.0,
            "max_scan_attempts": 3,
            "scan_timeout": 600.0,
            "scan_requeue_after": 300.0,
        }
    )


def make_scan(db: Database, settings: Settings, **values: Any) -> str:
    with db.session() as session:
        project = create_project(
            session,
            settings,
            Vault.from_settings(settings),
            repo=f"https://git.example.com/acme/{utcnow().timestamp()}-{len(values)}-{id(values)}",
        )
        scan = request_scan(session, project, branch="main")
        scan_id = scan.id
    if values:
        with db.session() as session:
            session.execute(update(Scan).where(Scan.id == scan_id).values(**values))
    return scan_id


def test_each_situation(database: Database, config: Settings) -> None:
    now = utcnow()
    old = now - timedelta(seconds=61)
    recent = now - timedelta(seconds=5)
    running = {"state": ScanState.RUNNING, "worker": "host:1", "stage": "ANALYZING"}
    lost_once = make_scan(database, config, **running, attempts=1, heartbeat_at=old, started_at=old)
    lost_for_good = make_scan(
        database, config, **running, attempts=3, heartbeat_at=old, started_at=old
    )
    never_beat = make_scan(database, config, **running, attempts=1, started_at=old)
    alive = make_scan(database, config, **running, attempts=1, heartbeat_at=recent, started_at=old)
    overdue = make_scan(
        database,
        config,
        **running,
        attempts=1,
        heartbeat_at=recent,
        started_at=now - timedelta(seconds=700),
    )
    pending_long = make_scan(database, config, queued_at=now - timedelta(seconds=400))
    pending_old_unqueued = make_scan(database, config, created_at=now - timedelta(seconds=400))
    pending_new = make_scan(database, config)
    done = make_scan(
        database, config, state=ScanState.DONE, heartbeat_at=old, started_at=old, attempts=1
    )
    with database.session() as session:
        session.add(Analysis(scan_id=lost_for_good, analyzer="osv", state=AnalysisState.RUNNING))

    heard: list[hooks.ScanFinished] = []
    report = reap(database, config, now=now, hooks=[heard.append])
    assert sorted(report.requeued) == sorted([lost_once, never_beat])
    assert report.lost == (lost_for_good,)
    assert report.timed_out == (overdue,)
    assert report.resend == report.requeued  # PENDING scans are left alone without the flag

    requeued = scan_row(database, lost_once)
    assert (requeued.state, requeued.worker, requeued.stage, requeued.attempts) == (
        ScanState.PENDING,
        None,
        None,
        1,
    )
    assert requeued.queued_at == now
    lost = scan_row(database, lost_for_good)
    assert (lost.state, lost.failure_reason, lost.finished_at) == (
        ScanState.FAILED,
        FailureReason.WORKER_LOST,
        now,
    )
    assert lost.failure_detail == (
        "the worker running it (host:1) stopped sending heartbeats for 60 s; tried 3 times "
        "(MAX_SCAN_ATTEMPTS=3)"
    )
    assert lost.stage == "ANALYZING"
    assert analyses(database, lost_for_good)["osv"].state == AnalysisState.FAILED
    late = scan_row(database, overdue)
    assert (late.state, late.failure_reason) == (ScanState.FAILED, FailureReason.TIMEOUT)
    assert scan_row(database, alive).state == ScanState.RUNNING
    assert scan_row(database, done).state == ScanState.DONE
    assert [(e.scan_id, e.failure_reason) for e in heard] == [
        (lost_for_good, "WORKER_LOST"),
        (overdue, "TIMEOUT"),
    ]

    # The Celery engine also re-sends tasks of scans PENDING too long (once per period).
    report = reap(database, config, now=now, resend_pending=True)
    assert report.requeued == report.lost == report.timed_out == ()
    assert sorted(report.resend) == sorted([pending_long, pending_old_unqueued])
    assert scan_row(database, pending_long).queued_at == now
    assert reap(database, config, now=now, resend_pending=True).resend == ()
    assert scan_row(database, pending_new).queued_at is None
    # Five minutes on, every PENDING scan is due again, and the scan that was alive at `now`
    # has not sent a heartbeat since: requeued, and its task re-sent with them.
    later: datetime = now + timedelta(seconds=301)
    report = reap(database, config, now=later, resend_pending=True)
    assert report.requeued == (alive,)
    assert set(report.resend) == {
        pending_long,
        pending_old_unqueued,
        lost_once,
        never_beat,
        pending_new,
        alive,
    }


def test_a_heartbeat_arriving_meanwhile_wins(database: Database, config: Settings) -> None:
    now = utcnow()
    scan_id = make_scan(
        database,
        config,
        state=ScanState.RUNNING,
        attempts=3,
        heartbeat_at=now - timedelta(seconds=100),
        started_at=now - timedelta(seconds=100),
    )
    # The worker beats between the reaper's read and its update: the conditional update
    # (heartbeat still stale) leaves the scan alone.
    with database.session() as session:
        session.execute(update(Scan).where(Scan.id == scan_id).values(heartbeat_at=now))
    report = reap(database, config, now=now + timedelta(seconds=1))
    assert report.lost == ()
    assert scan_row(database, scan_id).state == ScanState.RUNNING
