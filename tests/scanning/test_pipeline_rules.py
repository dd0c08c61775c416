"""`.deeptracy.yml` rules, triage decisions and scan-finished hooks in the pipeline."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import update
from tests.support.git_server import GitRepoFactory
from tests.support.scans import (
    RECORDS,
    finding_rows,
    import_records,
    new_project,
    new_scan,
    scan_row,
)

from deeptracy.config import Settings
from deeptracy.scanning import hooks
from deeptracy.scanning.pipeline import run_scan
from deeptracy.scanning.results import load_report
from deeptracy.scanning.suppress import SuppressionState
from deeptracy.store.db import Database
from deeptracy.store.enums import FailureReason, ScanState
from deeptracy.store.models import Finding as FindingRow

REQUIREMENTS = "flask==0.12.2\nrequests==2.20.0\n"
RULES = """\
fail_on: high
paths:
  - docs
ignore:
  - id: cve-2019-1010083
    package: Flask
    reason: We never decode untrusted JSON with it.
    state: not_affected
    justification: code_not_reachable
  - id: GHSA-j8r2-6x86-q33q
    reason: Accepted until the upgrade.
    state: accepted_risk
    expires: 2024-06-30
"""


@pytest.fixture
def db(database: Database, tmp_path: Path) -> Database:
    import_records(database, tmp_path / "osv", RECORDS)
    return database


def test_ignore_rules_and_paths(
    db: Database, git_settings: Settings, git_repos: GitRepoFactory
) -> None:
    repo = git_repos.create(
        "acme/app",
        {
            "requirements.txt": REQUIREMENTS,
            ".deeptracy.yml": RULES,
            "docs/package.json": '{"dependencies": {"lodash": "4.17.4"}}',
        },
    )
    project_id = new_project(db, git_settings, repo.file_url)
    scan_id = new_scan(db, project_id)
    event = run_scan(db, git_settings, scan_id, today=date(2024, 6, 30))
    assert event is not None and event.state == ScanState.DONE
    row = scan_row(db, scan_id)
    assert row.total_packages == 2  # docs/ is skipped
    assert row.total_vulnerabilities == 0  # both findings are suppressed on the expiry day
    assert row.severity_counts == dict.fromkeys(row.severity_counts or {}, 0)
    assert row.repo_config == {"fail_on": "HIGH", "ignore_rules": 2, "expired_rules": []}
    stored = {r.advisory_id: r.suppression for r in finding_rows(db, scan_id)}
    assert stored["GHSA-5wv5-4vpf-pj6m"] == {
        "state": "not_affected",
        "reason": "We never decode untrusted JSON with it.",
        "source": ".deeptracy.yml",
        "rule": "cve-2019-1010083",
        "justification": "code_not_reachable",
        "who": None,
        "when": None,
        "expires": None,
    }
    assert stored["GHSA-j8r2-6x86-q33q"] is not None
    assert stored["GHSA-j8r2-6x86-q33q"]["expires"] == "2024-06-30"

    # The next day the second rule has expired: same dependencies, so the findings are carried
    # over, and the rules are applied again.
    later = new_scan(db, project_id)
    event = run_scan(db, git_settings, later, today=date(2024, 7, 1))
    assert event is not None and event.state == ScanState.SAME_DEPS_AS_PREVIOUS
    row = scan_row(db, later)
    assert (row.total_vulnerabilities, (row.severity_counts or {})["MEDIUM"]) == (1, 1)
    assert row.repo_config is not None
    assert [r["id"] for r in row.repo_config["expired_rules"]] == ["GHSA-j8r2-6x86-q33q"]
    with db.session() as session:
        report = load_report(session, later)
    assert [f.advisory_id for f in report.findings] == ["GHSA-j8r2-6x86-q33q"]
    [hidden] = report.suppressed
    assert hidden.finding.advisory_id == "GHSA-5wv5-4vpf-pj6m"
    assert hidden.suppression.state is SuppressionState.NOT_AFFECTED
    assert [r.id for r in report.expired_rules] == ["GHSA-j8r2-6x86-q33q"]
    assert report.expired_rules[0].state == "accepted_risk"


def test_triage_decisions_travel_to_the_next_scan(
    db: Database, git_settings: Settings, git_repos: GitRepoFactory
) -> None:
    repo = git_repos.create("acme/app", {"requirements.txt": REQUIREMENTS})
    project_id = new_project(db, git_settings, repo.file_url)
    first = new_scan(db, project_id)
    run_scan(db, git_settings, first)
    triage = {
        "state": "in_triage",
        "reason": "looking into it",
        "source": "triage",
        "rule": None,
        "justification": None,
        "who": "alice",
        "when": "2024-05-01T10:00:00Z",
        "expires": None,
    }
    with db.session() as session:
        session.execute(
            update(FindingRow)
            .where(FindingRow.scan_id == first, FindingRow.advisory_id == "GHSA-5wv5-4vpf-pj6m")
            .values(suppression=triage)
        )
    repo.commit({"requirements.txt": "flask==0.12.2\nrequests==2.20.0\ndjango==4.2\n"})
    second = new_scan(db, project_id)
    event = run_scan(db, git_settings, second)
    assert event is not None and event.state == ScanState.DONE
    stored = {r.advisory_id: r.suppression for r in finding_rows(db, second)}
    assert stored == {"GHSA-5wv5-4vpf-pj6m": triage, "GHSA-j8r2-6x86-q33q": None}
    assert scan_row(db, second).total_vulnerabilities == 1


def test_hooks_hear_every_finished_scan_and_cannot_break_it(
    db: Database,
    git_settings: Settings,
    git_repos: GitRepoFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    heard: list[hooks.ScanFinished] = []

    def broken(event: hooks.ScanFinished) -> None:
        raise RuntimeError("the notifier is down")

    hooks.register(broken)
    hooks.register(heard.append)
    hooks.register(heard.append)  # once only
    try:
        repo = git_repos.create("acme/app", {"requirements.txt": REQUIREMENTS})
        project_id = new_project(db, git_settings, repo.file_url)
        done = new_scan(db, project_id)
        run_scan(db, git_settings, done)
        bad = new_scan(db, project_id, "missing-branch")
        run_scan(db, git_settings, bad)
    finally:
        hooks.unregister(broken)
        hooks.unregister(heard.append)
    assert [(e.scan_id, e.state) for e in heard] == [
        (done, ScanState.DONE),
        (bad, ScanState.FAILED),
    ]
    assert heard[0].project_id == project_id and heard[0].branch == "main"
    assert (heard[0].total_packages, heard[0].total_vulnerabilities) == (2, 2)
    assert heard[0].database is db and heard[0].trigger == "api"
    assert heard[1].failure_reason == FailureReason.INVALID_BRANCH
    assert scan_row(db, done).state == ScanState.DONE
    failures = [r for r in caplog.records if "listener" in r.getMessage() and r.exc_info]
    assert len(failures) == 2
    assert hooks.listeners() == ()

    # Hooks given to run_scan replace the registered ones.
    only: list[str] = []
    again = new_scan(db, project_id)
    caplog.set_level(logging.INFO)
    run_scan(db, git_settings, again, hooks=[lambda e: only.append(e.scan_id)])
    assert only == [again]
