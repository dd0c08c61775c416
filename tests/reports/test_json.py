from __future__ import annotations

import json
import re
from datetime import timedelta, timezone
from pathlib import Path

from tests.reports.sample import GENERATED_AT, build_report

from deeptracy.reports.json import JsonWriter
from deeptracy.reports.model import Report

DOC = Path(__file__).resolve().parents[2] / "docs" / "report-json.md"


def _doc(report: Report) -> dict[str, object]:
    data = json.loads(JsonWriter().render(report))
    assert isinstance(data, dict)
    return data


def test_header_and_summary(report: Report) -> None:
    data = _doc(report)
    assert data["schema_version"] == 1
    assert data["tool"] == {"name": "DeepTracy", "version": "0.1.0"}
    assert data["generated_at"] == "2024-05-06T07:08:09Z"
    assert data["target"] == {
        "name": "acme/shop",
        "path": None,
        "repository": "https://github.com/acme/shop",
        "branch": "feature/login",
        "commit": "9fceb02d0ae598e95dc970b74767f19372d61af8",
        "subdir": None,
    }
    assert data["summary"] == {
        "vulnerabilities": 3,
        "affected_packages": 3,
        "packages": 6,
        "by_severity": {
            "CRITICAL": 1,
            "HIGH": 1,
            "MEDIUM": 1,
            "LOW": 0,
            "NONE": 0,
            "UNKNOWN": 0,
        },
        "suppressed": 2,
        "expired_rules": 1,
        "errors": 1,
        "failed_analyzers": 0,
    }


def test_findings_are_sorted_and_complete(report: Report) -> None:
    findings = _doc(report)["findings"]
    assert isinstance(findings, list)
    assert [f["id"] for f in findings] == ["PYSEC-2021-98", "GHSA-p6mc-m468-83gw", "GO-2023-1571"]
    django = findings[0]
    assert django == {
        "id": "PYSEC-2021-98",
        "aliases": ["CVE-2021-35042", "GHSA-xpfp-f569-q3p2"],
        "summary": "Potential SQL injection via unsanitized QuerySet.order_by() input",
        "severity": "CRITICAL",
        "score": 9.8,
        "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "package": {
            "ecosystem": "PyPI",
            "name": "Django",
            "version": "3.2.0",
            "declared": None,
            "purl": "pkg:pypi/django@3.2.0",
            "direct": True,
            "scope": None,
            "locations": [{"path": "requirements.txt", "line": 3}],
            "note": None,
        },
        "fixed": ["3.2.5", "3.1.13"],
        "fixed_version": "3.2.5",
        "matched_range": ">=3.2, <3.2.5",
        "exact": True,
        "admits_unaffected": None,
        "analyzers": ["osv"],
    }
    lodash = findings[1]
    assert lodash["package"]["version"] is None
    assert lodash["package"]["declared"] == "^4.17.0"
    assert lodash["package"]["purl"] == "pkg:npm/lodash"
    assert (lodash["exact"], lodash["admits_unaffected"]) == (False, True)
    assert findings[2]["score"] is None and findings[2]["vector"] is None


def test_suppressed_carry_their_decision(report: Report) -> None:
    suppressed = _doc(report)["suppressed"]
    assert isinstance(suppressed, list)
    assert [s["id"] for s in suppressed] == ["PYSEC-2021-142", "GHSA-g3rq-g295-4j3m"]
    assert suppressed[0]["suppression"] == {
        "state": "not_affected",
        "reason": "we only call yaml.safe_load",
        "source": ".deeptracy.yml",
        "rule": "cve-2020-14343",
        "justification": "code_not_reachable",
        "who": None,
        "when": None,
        "expires": "2030-01-01",
    }
    assert suppressed[1]["suppression"]["who"] == "alice@example.com"
    assert suppressed[1]["suppression"]["when"] == "2024-04-01T12:00:00Z"
    assert suppressed[1]["package"]["scope"] == "dev"


def test_rules_analyzers_and_errors(report: Report) -> None:
    data = _doc(report)
    assert data["expired_rules"] == [
        {
            "id": "CVE-2021-35042",
            "package": None,
            "ecosystem": None,
            "reason": "waiting for 3.2.5",
            "expires": "2024-01-31",
            "state": None,
        }
    ]
    assert data["analyzers"] == [{"name": "osv", "state": "done", "error": None}]
    assert data["errors"] == [{"path": "web/yarn.lock", "message": "invalid entry", "line": 40}]


def test_deterministic_whatever_the_input_order(report: Report) -> None:
    first = JsonWriter().render(report)
    assert first == JsonWriter().render(report)
    shuffled = build_report(
        findings=tuple(reversed(report.findings)), suppressed=tuple(reversed(report.suppressed))
    )
    assert JsonWriter().render(shuffled) == first
    elsewhere = build_report(generated_at=GENERATED_AT.astimezone(timezone(timedelta(hours=-5))))
    assert JsonWriter().render(elsewhere) == first
    assert first.endswith("}\n")


def test_every_emitted_field_is_documented(report: Report) -> None:
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", DOC.read_text(encoding="utf-8"), re.M))
    data = _doc(report)
    emitted: set[str] = set(data)
    for key in ("tool", "target", "summary"):
        section = data[key]
        assert isinstance(section, dict)
        emitted |= set(section)
    for item in (data["findings"][0], data["suppressed"][0]):
        emitted |= set(item) | set(item["package"])
    emitted |= set(data["suppressed"][0]["suppression"])
    emitted |= set(data["expired_rules"][0]) | set(data["analyzers"][0])
    emitted -= {"error"}  # the analyzers' fields are described in prose
    assert emitted - documented == set()
