"""Helpers for pipeline and queue tests: advisory records, projects, scans, waiting for them."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select

from deeptracy.advisories.http import HttpClient
from deeptracy.advisories.sync import import_location
from deeptracy.config import Settings
from deeptracy.projects.registry import create_project
from deeptracy.projects.scans import request_scan
from deeptracy.scanning.git import Credentials
from deeptracy.store.db import Database
from deeptracy.store.enums import ScanState
from deeptracy.store.models import Analysis, Finding, Scan
from deeptracy.vault import Vault
from tests.support.osv_records import affected, osv, rng, write_dir

FINISHED = {ScanState.DONE, ScanState.SAME_DEPS_AS_PREVIOUS, ScanState.FAILED}

# Advisories the pipeline tests match against. FLASK_PYSEC and FLASK_GHSA are two records of
# one vulnerability (they alias each other through CVE-2019-1010083).
FLASK_PYSEC = osv(
    "PYSEC-2019-179",
    affected("PyPI", "flask", rng(("introduced", "0"), ("fixed", "1.0"))),
    aliases=["CVE-2019-1010083"],
    severity=[{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"}],
)
FLASK_GHSA = osv(
    "GHSA-5wv5-4vpf-pj6m",
    affected("PyPI", "Flask", rng(("introduced", "0.10"), ("fixed", "0.12.3"))),
    aliases=["CVE-2019-1010083", "PYSEC-2019-179"],
    database_specific={"severity": "HIGH"},
)
REQUESTS = osv(
    "GHSA-j8r2-6x86-q33q",
    affected("PyPI", "requests", rng(("introduced", "2.3.0"), ("fixed", "2.31.0"))),
    aliases=["CVE-2023-32681"],
    database_specific={"severity": "MODERATE"},
)
LODASH = osv(
    "GHSA-p6mc-m468-83gw",
    affected("npm", "lodash", rng(("introduced", "0"), ("fixed", "4.17.19"), type="SEMVER")),
    aliases=["CVE-2020-8203"],
    database_specific={"severity": "HIGH"},
)
RECORDS = [FLASK_PYSEC, FLASK_GHSA, REQUESTS, LODASH]


def import_records(db: Database, root: Path, records: Sequence[dict[str, Any]]) -> None:
    """Import OSV records written for the test through the real importer."""
    with HttpClient() as client:
        import_location(db, str(write_dir(root, list(records))), client=client)


def new_project(
    db: Database,
    settings: Settings,
    repo_url: str,
    *,
    credentials: Credentials | None = None,
    default_branch: str | None = None,
) -> str:
    with db.session() as session:
        project = create_project(
            session,
            settings,
            Vault.from_settings(settings),
            repo=repo_url,
            credentials=credentials,
            default_branch=default_branch,
        )
        return project.id


def new_scan(db: Database, project_id: str, branch: str | None = None) -> str:
    from deeptracy.store.models import Project

    with db.session() as session:
        project = session.get(Project, project_id)
        assert project is not None
        return request_scan(session, project, branch=branch).id


def scan_row(db: Database, scan_id: str) -> Scan:
    with db.session() as session:
        row = session.get(Scan, scan_id)
        assert row is not None
        return row


def analyses(db: Database, scan_id: str) -> dict[str, Analysis]:
    with db.session() as session:
        return {
            a.analyzer: a
            for a in session.scalars(select(Analysis).where(Analysis.scan_id == scan_id))
        }


def finding_rows(db: Database, scan_id: str) -> list[Finding]:
    with db.session() as session:
        return list(
            session.scalars(select(Finding).where(Finding.scan_id == scan_id).order_by(Finding.id))
        )


def states(db: Database, scan_ids: Iterable[str]) -> dict[str, ScanState]:
    ids = list(scan_ids)
    with db.session() as session:
        rows = session.execute(select(Scan.id, Scan.state).where(Scan.id.in_(ids))).all()
    return {scan_id: ScanState(state) for scan_id, state in rows}


def wait_finished(
    db: Database, scan_ids: Iterable[str], timeout: float, poll: float = 0.1
) -> dict[str, ScanState]:
    """The scans' states once all have finished; AssertionError with their states on timeout."""
    ids = list(scan_ids)
    deadline = time.monotonic() + timeout
    while True:
        current = states(db, ids)
        if len(current) == len(ids) and all(s in FINISHED for s in current.values()):
            return current
        if time.monotonic() > deadline:
            raise AssertionError(f"scans not finished within {timeout}s: {current}")
        time.sleep(poll)


def wait_for(predicate: Any, timeout: float, poll: float = 0.05, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout}s")
        time.sleep(poll)
