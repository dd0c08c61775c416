"""The stable JSON report (docs/report-json.md): every field always present, fixed order."""

from __future__ import annotations

import json
from typing import ClassVar

from deeptracy.analyzers.model import Finding
from deeptracy.inventory.model import Package
from deeptracy.reports.common import utc_text
from deeptracy.reports.interface import Writer
from deeptracy.reports.model import Report
from deeptracy.scanning.suppress import SuppressedFinding

SCHEMA_VERSION = 1


class JsonWriter(Writer):
    name: ClassVar[str] = "json"
    media_type: ClassVar[str] = "application/json"
    extension: ClassVar[str] = "json"

    def render(self, report: Report) -> str:
        return (
            json.dumps(report_dict(report), indent=2) + "\n"
        )  # ASCII: lone surrogates stay escaped


def report_dict(report: Report) -> dict[str, object]:
    """The JSON document as plain data (also what the API returns)."""
    counts = report.counts_by_severity()
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": report.tool_name, "version": report.tool_version},
        "target": report.target.to_dict(),
        "generated_at": utc_text(report.generated_at),
        "summary": {
            "vulnerabilities": len(report.findings),
            "affected_packages": report.affected_packages(),
            "packages": len(report.inventory.packages),
            "by_severity": {severity.value: count for severity, count in counts.items()},
            "suppressed": len(report.suppressed),
            "expired_rules": len(report.expired_rules),
            "errors": len(report.errors),
            "failed_analyzers": len(report.failed_analyzers),
        },
        "findings": [finding_dict(f) for f in report.sorted_findings()],
        "suppressed": [suppressed_dict(s) for s in report.sorted_suppressed()],
        "expired_rules": [rule.to_dict() for rule in report.expired_rules],
        "analyzers": [a.to_dict() for a in sorted(report.analyzers, key=lambda a: a.name)],
        "errors": [e.to_dict() for e in sorted(report.errors)],
    }


def package_dict(package: Package) -> dict[str, object]:
    return {
        "ecosystem": package.ecosystem,
        "name": package.name,
        "version": package.version,
        "declared": package.declared,
        "purl": package.purl,
        "direct": package.direct,
        "scope": package.scope.value if package.scope else None,
        "locations": [loc.to_dict() for loc in package.locations],
        "note": package.note,
    }


def finding_dict(finding: Finding) -> dict[str, object]:
    return {
        "id": finding.advisory_id,
        "aliases": sorted(set(finding.ids[1:])),
        "summary": finding.summary,
        "severity": finding.severity.value,
        "score": finding.score,
        "vector": finding.vector,
        "package": package_dict(finding.package),
        "fixed": list(finding.fixed),
        "fixed_version": finding.fixed_version,
        "matched_range": finding.matched_range,
        "exact": finding.exact,
        "admits_unaffected": finding.admits_unaffected,
        "analyzers": sorted(set(finding.analyzers)),
    }


def suppressed_dict(item: SuppressedFinding) -> dict[str, object]:
    return {**finding_dict(item.finding), "suppression": item.suppression.to_dict()}
