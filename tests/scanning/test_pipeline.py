"""run_scan end to end: real git repositories (file:// and HTTP, a private one), advisory
records imported through the importer, both database backends."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.support.git_server import GitHttpServer, GitRepoFactory
from tests.support.scans import (
    RECORDS,
    analyses,
    finding_rows,
    import_records,
    new_project,
    new_scan,
    scan_row,
)

from deeptracy.analyzers.interface import Analyzer, AnalyzerContext
from deeptracy.analyzers.registry import load_analyzers
from deeptracy.config import Settings
from deeptracy.scanning.git import Credentials
from deeptracy.scanning.pipeline import run_scan
from deeptracy.scanning.results import analysis_findings, load_report
from deeptracy.store.db import Database
from deeptracy.store.enums import AnalysisState, FailureReason, ScanState
from deeptracy.store.models import (
    Branch,
    Scan,
)
from deeptracy.store.models import Inventory as InventoryRow

REQUIREMENTS = "flask==0.12.2\nrequests==2.20.0\ninsecure-package==0.1.0\n"
PACKAGE_JSON = '{"name": "web", "dependencies": {"lodash": "^4.17.0"}}'
FILES = {"requirements.txt": REQUIREMENTS, "web/package.json": PACKAGE_JSON, "README.md": "hi"}


@pytest.fixture
def db(database: Database, tmp_path: Path) -> Database:
    import_records(database, tmp_path / "osv", RECORDS)
    return database


@pytest.fixture
def with_plugin(
    db: Database, git_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> tuple[Analyzer, ...]:
    """osv and the installed third-party plugin (deeptracy-test-plugin), enabled."""
    monkeypatch.setenv("DEEPTRACY_TEST_PLUGIN", "enabled")
    loaded = load_analyzers(AnalyzerContext(git_settings, db))
    assert loaded.names == ("osv", "test-blocklist")
    return loaded.analyzers


def scan_once(
    db: Database,
    settings: Settings,
    url: str,
    branch: str | None = None,
    *,
    analyzers: Sequence[Analyzer] | None = None,
    credentials: Credentials | None = None,
    today: date | None = None,
) -> Scan:
    project_id = new_project(db, settings, url, credentials=credentials)
    return rescan(db, settings, project_id, branch, analyzers=analyzers, today=today)


def rescan(
    db: Database,
    settings: Settings,
    project_id: str,
    branch: str | None = None,
    *,
    analyzers: Sequence[Analyzer] | None = None,
    today: date | None = None,
) -> Scan:
    scan_id = new_scan(db, project_id, branch)
    event = run_scan(db, settings, scan_id, analyzers=analyzers, today=today)
    assert event is not None and event.scan_id == scan_id
    row = scan_row(db, scan_id)
    assert event.state == row.state
    return row


def test_done_with_merged_findings_over_file_url(
    db: Database,
    git_settings: Settings,
    git_repos: GitRepoFactory,
    with_plugin: tuple[Analyzer, ...],
) -> None:
    repo = git_repos.create("acme/shop", FILES)
    scan = scan_once(db, git_settings, repo.file_url, analyzers=with_plugin)

    assert (scan.state, scan.failure_reason, scan.stage) == (ScanState.DONE, None, None)
    assert (scan.branch, scan.commit_sha) == ("main", repo.head())
    assert scan.attempts == 1 and scan.worker is not None and ":" in scan.worker
    assert scan.started_at is not None and scan.finished_at is not None
    assert scan.finished_at >= scan.started_at
    assert set(scan.timings or {}) == {"clone", "inventory", "analyze", "store", "total"}
    assert scan.total_packages == 4
    # flask (two osv records + the vendor's, one vulnerability), requests, insecure-package,
    # lodash (declared range, possibly affected).
    assert scan.total_vulnerabilities == 4
    assert scan.severity_counts == {
        "CRITICAL": 1,
        "HIGH": 2,
        "MEDIUM": 1,
        "LOW": 0,
        "NONE": 0,
        "UNKNOWN": 0,
    }
    found = {(f.package_name, f.advisory_id): f for f in finding_rows(db, scan.id)}
    assert sorted(found) == [
        ("flask", "GHSA-5wv5-4vpf-pj6m"),
        ("insecure-package", "TESTVENDOR-2024-0002"),
        ("lodash", "GHSA-p6mc-m468-83gw"),
        ("requests", "GHSA-j8r2-6x86-q33q"),
    ]
    flask = found[("flask", "GHSA-5wv5-4vpf-pj6m")]
    assert flask.aliases == ["CVE-2019-1010083", "PYSEC-2019-179", "TESTVENDOR-2019-0001"]
    assert flask.severity == "CRITICAL"  # the vendor's rating is the highest
    assert flask.score == 7.5
    assert flask.fixed == ["0.12.3", "1.0"]
    assert flask.analyzers == ["osv", "test-blocklist"]
    assert flask.locations == [{"path": "requirements.txt", "line": 1}]
    assert (flask.origin, flask.suppression, flask.closed_at) == ("scan", None, None)
    lodash = found[("lodash", "GHSA-p6mc-m468-83gw")]
    assert (lodash.exact, lodash.admits_unaffected, lodash.declared) == (False, True, "^4.17.0")

    per = analyses(db, scan.id)
    assert {n: (a.state, a.findings_count, a.error) for n, a in per.items()} == {
        "osv": (AnalysisState.DONE, 4, None),
        "test-blocklist": (AnalysisState.DONE, 2, None),
    }
    with db.session() as session:
        assert len(analysis_findings(session, scan.id, "osv")) == 4
        vendor = analysis_findings(session, scan.id, "test-blocklist")
        assert sorted(f.advisory_id for f in vendor) == [
            "TESTVENDOR-2019-0001",
            "TESTVENDOR-2024-0002",
        ]
        inventory = session.get(InventoryRow, scan.inventory_id)
        assert inventory is not None and inventory.package_count == 4
        branch = session.scalar(select(Branch).where(Branch.project_id == scan.project_id))
        assert branch is not None
        assert (branch.name, branch.latest_scan_id) == ("main", scan.id)
        report = load_report(session, scan.id)
    assert report.target.branch == "main" and report.target.commit == repo.head()
    assert len(report.findings) == 4 and report.suppressed == ()
    assert [a.name for a in report.analyzers] == ["osv", "test-blocklist"]
    assert len(report.inventory.packages) == 4


def test_private_repository_over_http_with_a_token(
    db: Database,
    git_settings: Settings,
    git_repos: GitRepoFactory,
    git_http_server: GitHttpServer,
) -> None:
    repo = git_repos.create("acme/secret", FILES, private=True)
    good = scan_once(
        db,
        git_settings,
        repo.http_url,
        credentials=Credentials(https_token=git_http_server.token),
    )
    assert good.state == ScanState.DONE, good.failure_detail
    assert good.total_vulnerabilities == 3  # osv only: flask, requests, lodash

    other = git_repos.create("acme/secret2", FILES, private=True)
    wrong = "tok-" + "0" * 32
    bad = scan_once(db, git_settings, other.http_url, credentials=Credentials(https_token=wrong))
    assert (bad.state, bad.failure_reason) == (ScanState.FAILED, FailureReason.AUTH_FAILED)
    assert bad.failure_detail and "authentication failed" in bad.failure_detail
    assert wrong not in bad.failure_detail
    assert analyses(db, bad.id) == {}  # it never got as far


def test_same_dependencies_carry_findings_over_then_changes_are_found(
    db: Database, git_settings: Settings, git_repos: GitRepoFactory
) -> None:
    repo = git_repos.create("acme/app", FILES)
    project_id = new_project(db, git_settings, repo.http_url)
    first = rescan(db, git_settings, project_id)
    assert first.state == ScanState.DONE
    first_rows = {r.advisory_id: r for r in finding_rows(db, first.id)}

    # A commit that changes no dependency (a reformatted lockfile would not either).
    repo.commit({"README.md": "changed", "requirements.txt": REQUIREMENTS.replace("\n", "\n\n")})
    second = rescan(db, git_settings, project_id)
    assert second.state == ScanState.SAME_DEPS_AS_PREVIOUS
    assert second.previous_scan_id == first.id
    assert second.inventory_id == first.inventory_id  # the inventory row is shared
    assert (second.total_packages, second.total_vulnerabilities) == (4, 3)
    assert second.severity_counts == first.severity_counts
    second_rows = {r.advisory_id: r for r in finding_rows(db, second.id)}
    assert sorted(second_rows) == sorted(first_rows)
    for advisory_id, row in second_rows.items():
        assert row.first_seen_at == first_rows[advisory_id].first_seen_at
        assert row.found_at >= first_rows[advisory_id].found_at
        assert row.aliases == first_rows[advisory_id].aliases
    # The analyses travel too: osv's own four findings, before the merge.
    assert {a.analyzer: a.findings_count for a in analyses(db, second.id).values()} == {"osv": 4}
    with db.session() as session:
        assert len(analysis_findings(session, second.id, "osv")) == 4
        branch = session.scalar(select(Branch).where(Branch.project_id == project_id))
        assert branch is not None and branch.latest_scan_id == second.id

    # requests upgraded past the fix, lodash pinned by a lockfile-less exact range: changes.
    time.sleep(0.01)
    repo.commit(
        {
            "requirements.txt": "flask==0.12.2\nrequests==2.31.0\n",
            "web/package.json": '{"dependencies": {"lodash": "4.17.4"}}',
        }
    )
    third = rescan(db, git_settings, project_id)
    assert third.state == ScanState.DONE
    assert third.previous_scan_id == second.id
    assert third.inventory_id != first.inventory_id
    third_rows = {r.advisory_id: r for r in finding_rows(db, third.id)}
    assert sorted(third_rows) == ["GHSA-5wv5-4vpf-pj6m", "GHSA-p6mc-m468-83gw"]
    # flask is the same finding: first seen in the first scan.
    flask = third_rows["GHSA-5wv5-4vpf-pj6m"]
    assert flask.first_seen_at == first_rows["GHSA-5wv5-4vpf-pj6m"].first_seen_at
    # lodash's requirement changed: another package identity, first seen now. Its range admits
    # only an affected version.
    lodash = third_rows["GHSA-p6mc-m468-83gw"]
    assert (lodash.declared, lodash.exact, lodash.admits_unaffected) == ("4.17.4", False, False)
    assert lodash.first_seen_at > first_rows["GHSA-p6mc-m468-83gw"].first_seen_at


def test_a_new_analyzer_means_a_full_analysis(
    db: Database,
    git_settings: Settings,
    git_repos: GitRepoFactory,
    with_plugin: tuple[Analyzer, ...],
) -> None:
    repo = git_repos.create("acme/app", FILES)
    project_id = new_project(db, git_settings, repo.file_url)
    assert rescan(db, git_settings, project_id, analyzers=with_plugin[:1]).state == ScanState.DONE
    again = rescan(db, git_settings, project_id, analyzers=with_plugin)
    assert again.state == ScanState.DONE  # same inventory, but test-blocklist never ran on it
    assert set(analyses(db, again.id)) == {"osv", "test-blocklist"}
    assert (
        rescan(db, git_settings, project_id, analyzers=with_plugin).state
        == ScanState.SAME_DEPS_AS_PREVIOUS
    )


def test_branches_default_and_with_slashes(
    db: Database, git_settings: Settings, git_repos: GitRepoFactory
) -> None:
    repo = git_repos.create("acme/app", {"requirements.txt": "flask==2.0\n"}, branch="develop")
    repo.commit(
        {"requirements.txt": "flask==0.12.2\n"}, branch="feature/x", parent_branch="develop"
    )
    project_id = new_project(db, git_settings, repo.file_url)
    default = rescan(db, git_settings, project_id)  # no branch: the remote's HEAD
    assert (default.state, default.branch) == (ScanState.DONE, "develop")
    assert default.total_vulnerabilities == 0
    feature = rescan(db, git_settings, project_id, "feature/x")
    assert (feature.state, feature.branch, feature.commit_sha) == (
        ScanState.DONE,
        "feature/x",
        repo.head("feature/x"),
    )
    # The PYSEC and GHSA records of flask alias each other: one finding.
    assert feature.total_vulnerabilities == 1
    assert [r.advisory_id for r in finding_rows(db, feature.id)] == ["GHSA-5wv5-4vpf-pj6m"]
    with db.session() as session:
        branches = {
            b.name: b.latest_scan_id
            for b in session.scalars(select(Branch).where(Branch.project_id == project_id))
        }
    assert branches == {"develop": default.id, "feature/x": feature.id}
