"""Every way a scan can fail ends FAILED with a reason and a safe detail; analyzers fail alone."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from pydantic import SecretStr
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
from deeptracy.analyzers.model import AnalysisResult, Finding
from deeptracy.analyzers.osv import OsvAnalyzer
from deeptracy.config import Settings
from deeptracy.inventory.model import Inventory
from deeptracy.scanning.git import Credentials
from deeptracy.scanning.pipeline import run_scan
from deeptracy.scanning.results import load_report
from deeptracy.severity import Severity
from deeptracy.store.db import Database
from deeptracy.store.enums import AnalysisState, FailureReason, ScanState
from deeptracy.store.models import Inventory as InventoryRow
from deeptracy.store.models import Scan

FILES = {"requirements.txt": "flask==0.12.2\nrequests==2.20.0\n"}


@pytest.fixture
def db(database: Database, tmp_path: Path) -> Database:
    import_records(database, tmp_path / "osv", RECORDS)
    return database


@pytest.fixture
def osv(db: Database, git_settings: Settings) -> OsvAnalyzer:
    return OsvAnalyzer(AnalyzerContext(git_settings, db))


class Raising(Analyzer):
    name = "raising"

    def analyze(self, inventory: Inventory) -> Sequence[Finding]:
        raise RuntimeError("vendor API refused https://user:hunter2@vendor.example/api")


class Sleeping(Analyzer):
    name = "sleeping"

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds

    def analyze(self, inventory: Inventory) -> Sequence[Finding]:
        time.sleep(self.seconds)
        return []


class Garbage(Analyzer):
    name = "garbage"

    def analyze(self, inventory: Inventory) -> Sequence[Finding]:
        return ["not a finding"]  # type: ignore[list-item]


class Sloppy(Analyzer):
    """One good finding, one with an id too long to store, one with a text severity."""

    name = "sloppy"

    def analyze(self, inventory: Inventory) -> AnalysisResult:
        package = inventory.packages[0]
        return AnalysisResult(
            (
                Finding(package, "SLOPPY-1", "fine", Severity.LOW),
                Finding(package, "X" * 200, "too long", Severity.LOW),
                Finding(package, "SLOPPY-2", "text severity", "moderate"),  # type: ignore[arg-type]
            ),
            ("a warning of its own",),
        )


class BadCovers(Analyzer):
    name = "bad-covers"
    ecosystems = frozenset({"PyPI"})

    def covers(self, ecosystem: str) -> bool:
        raise ValueError("plugin bug")

    def analyze(self, inventory: Inventory) -> Sequence[Finding]:
        raise AssertionError("never reached")


class NpmOnly(Analyzer):
    name = "npm-only"
    ecosystems = frozenset({"npm"})

    def analyze(self, inventory: Inventory) -> Sequence[Finding]:
        raise AssertionError("never called: no npm package in these repositories")


def scan(
    db: Database,
    settings: Settings,
    url: str,
    branch: str | None = None,
    analyzers: Sequence[Analyzer] | None = None,
    credentials: Credentials | None = None,
) -> Scan:
    project_id = new_project(db, settings, url, credentials=credentials)
    scan_id = new_scan(db, project_id, branch)
    event = run_scan(db, settings, scan_id, analyzers=analyzers)
    assert event is not None
    row = scan_row(db, scan_id)
    assert (event.state, event.failure_reason) == (row.state, row.failure_reason)
    assert row.finished_at is not None
    return row


def failed(row: Scan, reason: FailureReason, stage: str | None = None) -> str:
    assert (row.state, row.failure_reason) == (ScanState.FAILED, reason), row.failure_detail
    if stage is not None:
        assert row.stage == stage  # a failed scan keeps the stage it failed in
    assert row.failure_detail
    return row.failure_detail


def test_unknown_repository(
    db: Database, git_settings: Settings, git_http_server: GitHttpServer, tmp_path: Path
) -> None:
    detail = failed(
        scan(db, git_settings, (tmp_path / "nowhere.git").as_uri()),
        FailureReason.INVALID_REPO,
        "CLONING",
    )
    assert "the repository cannot be read" in detail
    over_http = scan(db, git_settings, git_http_server.url_for("nobody/nothing"))
    failed(over_http, FailureReason.INVALID_REPO)


def test_unknown_branch(db: Database, git_settings: Settings, git_repos: GitRepoFactory) -> None:
    repo = git_repos.create("acme/app", FILES)
    detail = failed(scan(db, git_settings, repo.file_url, "nope"), FailureReason.INVALID_BRANCH)
    assert detail == "branch 'nope' does not exist in the repository"


def test_no_dependencies(db: Database, git_settings: Settings, git_repos: GitRepoFactory) -> None:
    empty = git_repos.create("acme/docs", {"README.md": "nothing to see"})
    row = scan(db, git_settings, empty.file_url)
    assert failed(row, FailureReason.NO_DEPENDENCIES_FOUND, "INVENTORY") == (
        "no manifest, lockfile or SBOM with dependencies was found in the repository"
    )
    assert row.total_packages == 0

    broken = git_repos.create(
        "acme/broken", {"package.json": "{not json", "requirements.txt": "# nothing\n"}
    )
    row = scan(db, git_settings, broken.file_url)
    detail = failed(row, FailureReason.NO_DEPENDENCIES_FOUND)
    assert detail.startswith("no dependency could be read; 1 file errors: package.json: ")
    with db.session() as session:  # the inventory is kept: its errors say what went wrong
        inventory = session.get(InventoryRow, row.inventory_id)
        assert inventory is not None and inventory.package_count == 0
        assert [e["path"] for e in inventory.errors] == ["package.json"]


def test_invalid_deeptracy_yml(
    db: Database, git_settings: Settings, git_repos: GitRepoFactory
) -> None:
    repo = git_repos.create(
        "acme/app", {**FILES, ".deeptracy.yml": "fail_on: high\nignor:\n  - id: CVE-1\n"}
    )
    detail = failed(
        scan(db, git_settings, repo.file_url), FailureReason.INVALID_YML_ON_PROJECT, "INVENTORY"
    )
    assert detail.startswith(".deeptracy.yml:2: unknown key 'ignor'")


def test_an_analyzer_that_raises_fails_alone(
    db: Database,
    git_settings: Settings,
    git_repos: GitRepoFactory,
    osv: OsvAnalyzer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR, "deeptracy.scanning.analyze")
    repo = git_repos.create("acme/app", FILES)
    row = scan(
        db,
        git_settings,
        repo.file_url,
        analyzers=[Raising(), osv, Garbage(), Sloppy(), BadCovers()],
    )
    assert row.state == ScanState.DONE
    per = analyses(db, row.id)
    assert per["raising"].state == AnalysisState.FAILED
    assert per["raising"].error == "RuntimeError: vendor API refused https://***@vendor.example/api"
    assert per["garbage"].state == AnalysisState.FAILED
    assert per["garbage"].error == "returned a str among its findings"
    assert per["bad-covers"].state == AnalysisState.FAILED
    assert per["bad-covers"].error == "covers() failed: ValueError: plugin bug"
    assert (per["osv"].state, per["osv"].findings_count) == (AnalysisState.DONE, 3)
    sloppy = per["sloppy"]
    assert (sloppy.state, sloppy.findings_count) == (AnalysisState.DONE, 2)
    assert sloppy.warnings == [
        "a warning of its own",
        f"a finding was dropped: advisory id {'X' * 60!r} is empty or over 128 chars",
    ]
    found = {r.advisory_id: r for r in finding_rows(db, row.id)}
    assert sorted(found) == ["GHSA-5wv5-4vpf-pj6m", "GHSA-j8r2-6x86-q33q", "SLOPPY-1", "SLOPPY-2"]
    assert found["SLOPPY-2"].severity == "MEDIUM"
    assert any("analyzer raising failed" in r.message and r.exc_info for r in caplog.records)


def test_an_analyzer_that_times_out_fails_alone(
    db: Database, git_settings: Settings, git_repos: GitRepoFactory, osv: OsvAnalyzer
) -> None:
    repo = git_repos.create("acme/app", FILES)
    quick = git_settings.model_copy(update={"analyzer_timeout": 0.5})
    started = time.monotonic()
    row = scan(db, quick, repo.file_url, analyzers=[Sleeping(30), osv])
    assert time.monotonic() - started < 15
    assert row.state == ScanState.DONE
    per = analyses(db, row.id)
    assert (per["sleeping"].state, per["sleeping"].error) == (
        AnalysisState.FAILED,
        "did not finish within 0.5 seconds (ANALYZER_TIMEOUT)",
    )
    assert per["osv"].state == AnalysisState.DONE
    assert row.total_vulnerabilities == 2


def test_every_analyzer_failing_fails_the_scan(
    db: Database, git_settings: Settings, git_repos: GitRepoFactory
) -> None:
    repo = git_repos.create("acme/app", FILES)
    row = scan(db, git_settings, repo.file_url, analyzers=[Raising(), Garbage(), NpmOnly()])
    detail = failed(row, FailureReason.ANALYZERS_FAILED, "STORING")
    assert detail == (
        "every analyzer failed: raising: RuntimeError: vendor API refused "
        "https://***@vendor.example/api; garbage: returned a str among its findings"
    )
    assert {n: a.state for n, a in analyses(db, row.id).items()} == {
        "raising": AnalysisState.FAILED,
        "garbage": AnalysisState.FAILED,
        "npm-only": AnalysisState.SKIPPED,
    }
    assert finding_rows(db, row.id) == []
    with db.session() as session:
        report = load_report(session, row.id)
    assert [(a.name, a.state.value, a.error) for a in report.analyzers] == [
        ("raising", "failed", "RuntimeError: vendor API refused https://***@vendor.example/api"),
        ("garbage", "failed", "returned a str among its findings"),
        ("npm-only", "skipped", "no package of the inventory is in an ecosystem it covers"),
    ]
    assert len(report.inventory.packages) == 2 and report.findings == ()


def test_no_analyzer_for_the_inventory(
    db: Database, git_settings: Settings, git_repos: GitRepoFactory
) -> None:
    repo = git_repos.create("acme/app", FILES)
    detail = failed(
        scan(db, git_settings, repo.file_url, analyzers=[NpmOnly()]), FailureReason.NO_ANALYZERS
    )
    assert detail == "no analyzer covers the inventory's ecosystems (PyPI)"
    detail = failed(scan(db, git_settings, repo.http_url, analyzers=[]), FailureReason.NO_ANALYZERS)
    assert detail == "no analyzer is installed"


def test_scan_timeout(db: Database, git_settings: Settings, git_repos: GitRepoFactory) -> None:
    repo = git_repos.create("acme/app", FILES)
    short = git_settings.model_copy(update={"scan_timeout": 1.5})
    row = scan(db, short, repo.file_url, analyzers=[Sleeping(30)])
    detail = failed(row, FailureReason.TIMEOUT, "ANALYZING")
    assert detail == "the scan did not finish within 1.5 seconds (SCAN_TIMEOUT) (while analyzing)"
    assert analyses(db, row.id)["sleeping"].state == AnalysisState.FAILED


def test_credentials_the_server_key_cannot_open(
    db: Database, git_settings: Settings, git_repos: GitRepoFactory, git_http_server: GitHttpServer
) -> None:
    repo = git_repos.create("acme/secret", FILES, private=True)
    project_id = new_project(
        db, git_settings, repo.http_url, credentials=Credentials(https_token=git_http_server.token)
    )
    other_key = git_settings.model_copy(
        update={"secret_key": SecretStr("another-server-key-entirely")}
    )
    scan_id = new_scan(db, project_id)
    run_scan(db, other_key, scan_id)
    detail = failed(scan_row(db, scan_id), FailureReason.INTERNAL_ERROR)
    assert detail.startswith("the project's credentials cannot be used: VaultError: cannot decrypt")
    assert git_http_server.token not in detail


def test_an_unexpected_error_is_an_internal_error_logged_with_its_traceback(
    db: Database,
    git_settings: Settings,
    git_repos: GitRepoFactory,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Fault injection: nothing in the real walker raises, so a bug is simulated there.
    def buggy(*args: object, **kwargs: object) -> Inventory:
        raise KeyError("token=abc https://bob:pw@example.com")

    monkeypatch.setattr("deeptracy.scanning.pipeline.scan_tree", buggy)
    repo = git_repos.create("acme/app", FILES)
    detail = failed(scan(db, git_settings, repo.file_url), FailureReason.INTERNAL_ERROR)
    assert detail == "KeyError: 'token=abc https://***@example.com'"
    assert any(r.exc_info and "failed unexpectedly" in r.getMessage() for r in caplog.records)
