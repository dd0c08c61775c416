from __future__ import annotations

import copy
import json
from dataclasses import replace
from typing import Any

import jsonschema
import pytest
from tests.reports.sample import DJANGO, DJANGO_SQLI, NET_HTTP2, build_report
from tests.reports.sarif_subset_schema import SARIF_SUBSET_SCHEMA

from deeptracy.inventory.model import Location, Package
from deeptracy.reports.model import AnalyzerState, AnalyzerStatus, Report, Target
from deeptracy.reports.sarif import SarifWriter, fingerprint, security_severity
from deeptracy.scanning.suppress import SuppressedFinding, Suppression, SuppressionState
from deeptracy.severity import Severity

VALIDATOR = jsonschema.Draft202012Validator(SARIF_SUBSET_SCHEMA)


def _sarif(report: Report) -> dict[str, Any]:
    data = json.loads(SarifWriter().render(report))
    assert isinstance(data, dict)
    return data


def _run(report: Report) -> dict[str, Any]:
    run = _sarif(report)["runs"][0]
    assert isinstance(run, dict)
    return run


def _result(run: dict[str, Any], rule_id: str) -> dict[str, Any]:
    matches = [r for r in run["results"] if r["ruleId"] == rule_id]
    assert len(matches) == 1
    return matches[0]


def _assert_consistent(log: dict[str, Any]) -> None:
    """What a schema cannot say: rule ids are unique, results point at their rule."""
    jsonschema.Draft202012Validator.check_schema(SARIF_SUBSET_SCHEMA)
    VALIDATOR.validate(log)
    for run in log["runs"]:
        rules = run["tool"]["driver"]["rules"]
        ids = [rule["id"] for rule in rules]
        assert len(ids) == len(set(ids))
        for result in run["results"]:
            assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_valid_for_the_schema_subset_and_github(report: Report) -> None:
    log = _sarif(report)
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("/sarif-schema-2.1.0.json")
    _assert_consistent(log)
    _assert_consistent(_sarif(build_report(findings=(), suppressed=(), expired_rules=())))


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("runs", 0, "results", 0, "level"), "critical"),
        (("runs", 0, "results", 0, "locations", 0, "physicalLocation", "region", "startLine"), 0),
        (("runs", 0, "tool", "driver", "rules", 0, "properties", "security-severity"), 9.8),
        (("runs", 0, "tool", "driver", "rules", 0, "properties", "tags"), ["vulnerability"]),
        (
            (
                "runs",
                0,
                "results",
                0,
                "locations",
                0,
                "physicalLocation",
                "artifactLocation",
                "uri",
            ),
            "/abs/requirements.txt",
        ),
        (("runs", 0, "results", 0, "partialFingerprints"), {}),
        (("version",), "2.2.0"),
    ],
)
def test_the_schema_rejects_what_github_would(
    report: Report, path: tuple[str | int, ...], value: object
) -> None:
    log = copy.deepcopy(_sarif(report))
    node: Any = log
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    assert not VALIDATOR.is_valid(log)


def test_the_schema_requires_a_region(report: Report) -> None:
    log = copy.deepcopy(_sarif(report))
    del log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    assert not VALIDATOR.is_valid(log)


def test_driver_and_one_rule_per_advisory(report: Report) -> None:
    driver = _run(report)["tool"]["driver"]
    assert driver["name"] == "DeepTracy"
    assert driver["version"] == "0.1.0"
    assert driver["informationUri"].startswith("https://")
    assert [r["id"] for r in driver["rules"]] == [
        "GHSA-g3rq-g295-4j3m",
        "GHSA-p6mc-m468-83gw",
        "GO-2023-1571",
        "PYSEC-2021-142",
        "PYSEC-2021-98",
    ]
    django = driver["rules"][4]
    assert django["shortDescription"]["text"] == (
        "Potential SQL injection via unsanitized QuerySet.order_by() input"
    )
    assert "CVE-2021-35042" in django["fullDescription"]["text"]
    assert django["helpUri"] == "https://osv.dev/vulnerability/PYSEC-2021-98"
    assert "PyPI Django: upgrade to 3.2.5 or later." in django["help"]["text"]
    assert "- PyPI `Django`: upgrade to 3.2.5 or later." in django["help"]["markdown"]
    assert django["properties"]["security-severity"] == "9.8"
    assert django["properties"]["tags"][0] == "security"
    assert django["defaultConfiguration"]["level"] == "error"


def test_security_severity_without_a_score_uses_the_rating_band() -> None:
    assert security_severity([NET_HTTP2]) == "5.5"  # MEDIUM, no CVSS score
    assert security_severity([replace(NET_HTTP2, severity=Severity.CRITICAL)]) == "9.5"
    assert security_severity([replace(NET_HTTP2, severity=Severity.UNKNOWN)]) == "5.0"
    assert security_severity([replace(NET_HTTP2, score=6.1), NET_HTTP2]) == "6.1"


def test_results_point_at_the_manifest_line(report: Report) -> None:
    run = _run(report)
    django = _result(run, "PYSEC-2021-98")
    assert django["level"] == "error"
    assert django["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "requirements.txt"},
                "region": {"startLine": 3},
            }
        }
    ]
    assert django["message"]["text"] == (
        "Django 3.2.0 is affected by PYSEC-2021-98 (CVE-2021-35042): Potential SQL injection "
        "via unsanitized QuerySet.order_by() input. Upgrade to 3.2.5 or later."
    )
    lodash = _result(run, "GHSA-p6mc-m468-83gw")
    assert lodash["message"]["text"].startswith(
        "lodash ^4.17.0 (declared) may resolve to an affected version (<4.17.19)"
    )
    assert lodash["properties"]["exact"] is False
    assert _result(run, "GO-2023-1571")["level"] == "warning"


def test_line_1_when_the_format_has_no_lines_and_paths_from_the_repo_root() -> None:
    crate = Package("crates.io", "smallvec", "1.6.0", locations=(Location("my app/Cargo.lock"),))
    finding = replace(NET_HTTP2, package=crate, advisory_id="RUSTSEC-2021-0003", aliases=())
    report = build_report(
        findings=(finding,), suppressed=(), target=Target(name="mono", subdir="services/")
    )
    (result,) = _run(report)["results"]
    location = result["locations"][0]["physicalLocation"]
    assert location == {
        "artifactLocation": {"uri": "services/my%20app/Cargo.lock"},
        "region": {"startLine": 1},
    }
    VALIDATOR.validate(_sarif(report))


def test_further_locations_are_related_locations() -> None:
    twice = replace(DJANGO, locations=(Location("requirements.txt", 3), Location("req.in", 7)))
    report = build_report(findings=(replace(DJANGO_SQLI, package=twice),), suppressed=())
    (result,) = _run(report)["results"]
    assert len(result["locations"]) == 1
    assert result["relatedLocations"] == [
        {
            "id": 1,
            "physicalLocation": {
                "artifactLocation": {"uri": "req.in"},
                "region": {"startLine": 7},
            },
        }
    ]


def test_fingerprints_survive_upgrades_and_edits_but_not_another_file() -> None:
    base = fingerprint(DJANGO_SQLI)
    moved_line = replace(DJANGO, locations=(Location("requirements.txt", 30),))
    upgraded = replace(DJANGO, version="3.2.1", purl=None)
    other_file = replace(DJANGO, locations=(Location("api/requirements.txt", 3),))
    assert fingerprint(replace(DJANGO_SQLI, package=moved_line)) == base
    assert fingerprint(replace(DJANGO_SQLI, package=upgraded)) == base
    assert fingerprint(replace(DJANGO_SQLI, package=other_file)) != base
    assert fingerprint(replace(DJANGO_SQLI, advisory_id="PYSEC-2021-99")) != base


def test_suppressed_results_carry_suppressions(report: Report) -> None:
    run = _run(report)
    pyyaml = _result(run, "PYSEC-2021-142")
    assert pyyaml["suppressions"] == [
        {
            "kind": "external",
            "status": "accepted",
            "justification": "not_affected (.deeptracy.yml): we only call yaml.safe_load",
        }
    ]
    triage = SuppressedFinding(
        DJANGO_SQLI, Suppression(SuppressionState.IN_TRIAGE, "checking usage", "triage")
    )
    run = _run(build_report(findings=(), suppressed=(triage,)))
    assert run["results"][0]["suppressions"][0]["status"] == "underReview"
    assert "suppressions" not in _result(_run(report), "PYSEC-2021-98")


def test_invocation_reports_failures_and_unreadable_files() -> None:
    report = build_report(analyzers=(AnalyzerStatus("osv", AnalyzerState.FAILED, "no database"),))
    (invocation,) = _run(report)["invocations"]
    assert invocation["executionSuccessful"] is False
    notes = invocation["toolExecutionNotifications"]
    assert notes[0] == {"level": "error", "message": {"text": "analyzer osv failed: no database"}}
    assert notes[1]["message"]["text"] == "invalid entry"
    region = notes[1]["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 40}


def test_version_control_provenance(report: Report) -> None:
    assert _run(report)["versionControlProvenance"] == [
        {
            "repositoryUri": "https://github.com/acme/shop",
            "revisionId": "9fceb02d0ae598e95dc970b74767f19372d61af8",
            "branch": "feature/login",
        }
    ]
    assert "versionControlProvenance" not in _run(build_report(target=Target(name="./app")))


def test_deterministic(report: Report) -> None:
    first = SarifWriter().render(report)
    assert SarifWriter().render(report) == first
    shuffled = build_report(findings=tuple(reversed(report.findings)))
    assert SarifWriter().render(shuffled) == first


def test_findings_read_from_no_file_become_a_notification() -> None:
    from_api = Package("PyPI", "Django", "3.2.0")  # e.g. an inventory posted to the API
    report = build_report(findings=(replace(DJANGO_SQLI, package=from_api),), suppressed=())
    log = _sarif(report)
    run = log["runs"][0]
    assert run["results"] == []
    (note,) = [
        n
        for n in run["invocations"][0]["toolExecutionNotifications"]
        if "read from no file" in n["message"]["text"]
    ]
    assert note["message"]["text"].endswith(": PYSEC-2021-98 in Django")
    VALIDATOR.validate(log)
