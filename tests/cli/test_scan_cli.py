"""`deeptracy scan` through the real command: formats, thresholds, rules, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from jsonschema import Draft202012Validator
from tests.reports.sarif_subset_schema import SARIF_SUBSET_SCHEMA
from tests.support.cli import run_cli
from tests.support.scans import RECORDS, import_records

from deeptracy.store.db import Database


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    (root / "api").mkdir(parents=True)
    (root / "api" / "requirements.txt").write_text(
        "# web tier\nflask==0.12.2\nrequests>=2.0,<3\nclick==8.1.7\n"
    )
    lock = {
        "lockfileVersion": 3,
        "packages": {
            "": {"dependencies": {"lodash": "^4"}},
            "node_modules/lodash": {"version": "4.17.15"},
        },
    }
    (root / "package-lock.json").write_text(json.dumps(lock))
    return root


@pytest.fixture
def advisories(database_uri: str, tmp_path: Path) -> dict[str, str]:
    """The advisory database with the test records, and the environment naming it."""
    db = Database(database_uri)
    import_records(db, tmp_path / "records", RECORDS)
    db.dispose()
    return {"DATABASE_URI": database_uri}


def test_json_report_has_merged_exact_and_declared_findings(
    checkout: Path, advisories: dict[str, str]
) -> None:
    result = run_cli("scan", str(checkout), "--format", "json", env=advisories)
    assert result.returncode == 1, result.stderr  # findings, no threshold: any finding fails
    report = json.loads(result.stdout)
    rows = sorted(
        (
            f["package"]["name"],
            f["package"]["version"] or f["package"]["declared"],
            f["id"],
            tuple(sorted(f["aliases"])),
            f["exact"],
            f["fixed"][0] if f["fixed"] else None,
        )
        for f in report["findings"]
    )
    assert rows == [
        # Two records of one vulnerability (PYSEC and GHSA, aliases of each other): one finding.
        (
            "flask",
            "0.12.2",
            "GHSA-5wv5-4vpf-pj6m",
            ("CVE-2019-1010083", "PYSEC-2019-179"),
            True,
            "0.12.3",
        ),
        ("lodash", "4.17.15", "GHSA-p6mc-m468-83gw", ("CVE-2020-8203",), True, "4.17.19"),
        ("requests", "<3,>=2.0", "GHSA-j8r2-6x86-q33q", ("CVE-2023-32681",), False, "2.31.0"),
    ]
    declared = next(f for f in report["findings"] if f["package"]["name"] == "requests")
    assert declared["admits_unaffected"] is True
    flask = next(f for f in report["findings"] if f["package"]["name"] == "flask")
    assert flask["package"]["locations"] == [{"path": "api/requirements.txt", "line": 2}]
    assert flask["severity"] == "HIGH"


def test_thresholds_and_exit_codes(checkout: Path, advisories: dict[str, str]) -> None:
    assert run_cli("scan", str(checkout), "--fail-on", "critical", env=advisories).returncode == 0
    high = run_cli("scan", str(checkout), "--fail-on", "HIGH", env=advisories)
    assert high.returncode == 1
    assert "GHSA-5wv5-4vpf-pj6m" in high.stdout and "0.12.3" in high.stdout  # table: the fix
    bad = run_cli("scan", str(checkout), "--fail-on", "severe", env=advisories)
    assert bad.returncode == 2 and "unknown severity 'severe'" in bad.stderr
    (checkout / ".deeptracy.yml").write_text("fail_on: critical\n")
    assert run_cli("scan", str(checkout), env=advisories).returncode == 0


def test_ignore_rules_suppress_and_expire(checkout: Path, advisories: dict[str, str]) -> None:
    (checkout / ".deeptracy.yml").write_text(
        "ignore:\n"
        "  - id: CVE-2020-8203\n    reason: lodash is only used at build time\n"
        "  - id: CVE-2023-32681\n    reason: old exception\n    expires: 2020-01-01\n"
    )
    result = run_cli("scan", str(checkout), "-f", "json", env=advisories)
    report = json.loads(result.stdout)
    assert {f["package"]["name"] for f in report["findings"]} == {"flask", "requests"}
    (suppressed,) = report["suppressed"]
    assert suppressed["package"]["name"] == "lodash"
    assert suppressed["suppression"]["reason"] == "lodash is only used at build time"
    table = run_cli("scan", str(checkout), env=advisories).stdout
    assert "expired" in table and "CVE-2023-32681" in table


def test_sarif_and_cyclonedx_validate(
    checkout: Path, advisories: dict[str, str], tmp_path: Path
) -> None:
    sarif_path = tmp_path / "out.sarif"
    run_cli("scan", str(checkout), "-f", "sarif", "-o", str(sarif_path), env=advisories)
    sarif = json.loads(sarif_path.read_text())
    assert list(Draft202012Validator(SARIF_SUBSET_SCHEMA).iter_errors(sarif)) == []
    results = sarif["runs"][0]["results"]
    flask = next(r for r in results if r["ruleId"] == "GHSA-5wv5-4vpf-pj6m")
    location = flask["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "api/requirements.txt"
    assert location["region"]["startLine"] == 2
    cdx = run_cli("scan", str(checkout), "-f", "cyclonedx", env=advisories).stdout
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(cdx) is None
    assert {v["id"] for v in json.loads(cdx)["vulnerabilities"]} == {
        "GHSA-5wv5-4vpf-pj6m",
        "GHSA-p6mc-m468-83gw",
        "GHSA-j8r2-6x86-q33q",
    }
    markdown = run_cli("scan", str(checkout), "-f", "markdown", env=advisories).stdout
    assert markdown.startswith("## DeepTracy: 3 vulnerabilities (2 high, 1 medium) in 3 packages")
    assert "| flask | 0.12.2 | [GHSA-5wv5-4vpf-pj6m](" in markdown


def test_empty_advisory_database_is_refused(checkout: Path, sqlite_uri: str) -> None:
    result = run_cli("scan", str(checkout), env={"DATABASE_URI": sqlite_uri})
    assert result.returncode == 2
    assert "advisory database is empty" in result.stderr


def test_fast_and_orm_paths_agree(checkout: Path, sqlite_uri: str, tmp_path: Path) -> None:
    """The embedded SQLite file is read without SQLAlchemy; a URI with options goes the
    usual way. Both give the same report."""
    db = Database(sqlite_uri)
    import_records(db, tmp_path / "records", RECORDS)
    db.dispose()
    fast = run_cli("scan", str(checkout), "-f", "json", env={"DATABASE_URI": sqlite_uri})
    orm = run_cli(
        "scan", str(checkout), "-f", "json", env={"DATABASE_URI": sqlite_uri + "?timeout=20"}
    )

    def stable(text: str) -> object:
        report = json.loads(text)
        report.pop("generated_at", None)
        return report

    assert fast.returncode == orm.returncode == 1
    assert stable(fast.stdout) == stable(orm.stdout)
