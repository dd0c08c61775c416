from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from tests.reports.sample import (
    DJANGO_SQLI,
    GENERATED_AT,
    JINJA_XSS,
    LODASH_PROTO,
    NET_HTTP2,
    build_report,
)

from deeptracy.reports.model import Report, Target
from deeptracy.scanning.suppress import SuppressedFinding, Suppression, SuppressionState
from deeptracy.severity import Severity


def test_counts_by_severity_lists_every_severity_in_reading_order(report: Report) -> None:
    counts = report.counts_by_severity()
    assert list(counts.items()) == [
        (Severity.CRITICAL, 1),
        (Severity.HIGH, 1),
        (Severity.MEDIUM, 1),
        (Severity.LOW, 0),
        (Severity.NONE, 0),
        (Severity.UNKNOWN, 0),
    ]


def test_suppressed_findings_are_not_counted(report: Report) -> None:
    # PyYAML (CRITICAL) and jinja2 (MEDIUM) are suppressed in the sample.
    assert report.counts_by_severity()[Severity.CRITICAL] == 1
    assert report.affected_packages() == 3


def test_sorted_most_severe_first_then_package_name() -> None:
    low_a = replace(NET_HTTP2, advisory_id="GO-2000-1", severity=Severity.LOW)
    unknown = replace(JINJA_XSS, severity=Severity.UNKNOWN)
    high_z = replace(DJANGO_SQLI, severity=Severity.HIGH)  # Django sorts before lodash
    report = build_report(
        findings=(unknown, low_a, LODASH_PROTO, high_z), suppressed=(), expired_rules=()
    )
    assert [(f.severity, f.package.name) for f in report.sorted_findings()] == [
        (Severity.HIGH, "Django"),
        (Severity.HIGH, "lodash"),
        (Severity.LOW, "golang.org/x/net"),
        (Severity.UNKNOWN, "jinja2"),
    ]


def test_threshold_counts_only_active_findings(report: Report) -> None:
    assert report.threshold_exceeded(Severity.CRITICAL)  # Django
    only_suppressed = build_report(findings=())
    assert not only_suppressed.threshold_exceeded(Severity.NONE)


def test_threshold_counts_declared_only_possibly_affected_findings() -> None:
    assert not LODASH_PROTO.exact
    report = build_report(findings=(LODASH_PROTO,))
    assert report.threshold_exceeded(Severity.HIGH)
    assert not report.threshold_exceeded(Severity.CRITICAL)


def test_threshold_keeps_unknown_above_low() -> None:
    report = build_report(findings=(replace(NET_HTTP2, severity=Severity.UNKNOWN),))
    assert report.threshold_exceeded(Severity.LOW)
    assert not report.threshold_exceeded(Severity.MEDIUM)


def test_generated_at_must_be_aware_and_is_kept_in_utc() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        build_report(generated_at=datetime(2024, 5, 6, 7, 8, 9))
    madrid = GENERATED_AT.astimezone(timezone(timedelta(hours=2)))
    assert build_report(generated_at=madrid).generated_at.utcoffset() == timedelta(0)
    assert build_report(generated_at=madrid).generated_at == GENERATED_AT


def test_a_finding_reported_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="reported twice"):
        build_report(findings=(DJANGO_SQLI, replace(DJANGO_SQLI, analyzers=("other",))))
    suppressed_too = SuppressedFinding(
        DJANGO_SQLI, Suppression(SuppressionState.IN_TRIAGE, "looking", "triage")
    )
    with pytest.raises(ValueError, match="reported twice"):
        build_report(findings=(DJANGO_SQLI,), suppressed=(suppressed_too,))


def test_errors_are_the_inventory_errors(report: Report) -> None:
    assert report.errors == report.inventory.errors
    assert [e.path for e in report.errors] == ["web/yarn.lock"]


def test_report_defaults_describe_an_empty_scan() -> None:
    empty = Report(target=Target(name="."), generated_at=GENERATED_AT)
    assert empty.tool_name == "DeepTracy"
    assert empty.findings == () and empty.suppressed == () and empty.errors == ()
    assert not empty.threshold_exceeded(Severity.NONE)
