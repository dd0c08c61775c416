"""SARIF 2.1.0 for GitHub code scanning: one rule per advisory, one result per finding.

GitHub needs, beyond the OASIS schema: a location with a region on every result (line 1 when
the manifest format has no lines), `properties.security-severity` as a numeric string on the
rule for security alerts, the "security" tag, and partialFingerprints that stay the same
across runs so an alert is tracked rather than reopened. Paths are relative to the repository
root and percent-encoded, as artifactLocation.uri is a URI reference.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from posixpath import join as posix_join
from typing import ClassVar
from urllib.parse import quote

from deeptracy.analyzers.model import Finding
from deeptracy.ecosystems import normalize_name
from deeptracy.reports.common import advisory_url, main_alias, version_text
from deeptracy.reports.interface import Writer
from deeptracy.reports.markdown import escape as _md
from deeptracy.reports.model import Report
from deeptracy.scanning.suppress import SuppressedFinding, SuppressionState
from deeptracy.severity import Severity

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
INFORMATION_URI = "https://github.com/BBVA/deeptracy"
FINGERPRINT_KEY = "deeptracy/v1"

# GitHub reads security-severity as a CVSS-like number: over 9.0 critical, 7.0-8.9 high,
# 4.0-6.9 medium, up to 3.9 low. Without a score, a value inside the rating's band, away from
# its edges.
_BAND_VALUE = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.UNKNOWN: "5.0",  # shown as medium: unknown is not hidden, nor inflated
    Severity.LOW: "2.0",
    Severity.NONE: "0.0",
}
_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.UNKNOWN: "warning",
    Severity.LOW: "note",
    Severity.NONE: "note",
}


class SarifWriter(Writer):
    name: ClassVar[str] = "sarif"
    media_type: ClassVar[str] = "application/sarif+json"
    extension: ClassVar[str] = "sarif"

    def render(self, report: Report) -> str:
        return json.dumps(sarif_log(report), indent=2) + "\n"  # ASCII: lone surrogates stay escaped


def sarif_log(report: Report) -> dict[str, object]:
    active = report.sorted_findings()
    suppressed = report.sorted_suppressed()
    everything = [*active, *(s.finding for s in suppressed)]
    rules, index = _rules(everything)
    # GitHub rejects a result without a location, and a package read from no file (an
    # inventory sent through the API) has none: such findings become a notification instead.
    results = [_result(f, index, report, None) for f in active if f.package.locations]
    results += [
        _result(s.finding, index, report, s) for s in suppressed if s.finding.package.locations
    ]
    unplaced = [f for f in everything if not f.package.locations]
    run: dict[str, object] = {
        "tool": {
            "driver": {
                "name": report.tool_name,
                "version": report.tool_version,
                "semanticVersion": report.tool_version,
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }
        },
        "invocations": [_invocation(report, unplaced)],
        "results": results,
        "columnKind": "unicodeCodePoints",
    }
    provenance = _provenance(report)
    if provenance:
        run["versionControlProvenance"] = provenance
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def security_severity(findings: list[Finding]) -> str:
    """The highest CVSS score among the findings, else the band value of the worst rating."""
    scores = [f.score for f in findings if f.score is not None]
    if scores:
        return f"{max(scores):.1f}"
    worst = max((f.severity for f in findings), key=lambda s: s.rank)
    return _BAND_VALUE[worst]


def _rules(findings: list[Finding]) -> tuple[list[dict[str, object]], dict[str, int]]:
    by_id: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        by_id[finding.advisory_id].append(finding)
    rules: list[dict[str, object]] = []
    index: dict[str, int] = {}
    for advisory_id in sorted(by_id):
        group = by_id[advisory_id]
        worst = max(group, key=lambda f: (f.severity.rank, f.score or 0.0))
        index[advisory_id] = len(rules)
        rules.append(_rule(advisory_id, group, worst))
    return rules, index


def _rule(advisory_id: str, group: list[Finding], worst: Finding) -> dict[str, object]:
    aliases = sorted({a for f in group for a in f.ids[1:]})
    summary = worst.summary.strip() or f"Vulnerability {advisory_id}"
    short = summary if len(summary) <= 120 else summary[:119].rstrip() + "…"
    full = summary + (f" (aliases: {', '.join(aliases)})" if aliases else "")
    fixes = sorted({(f.package.ecosystem, f.package.name, f.fixed_version or "") for f in group})
    text_lines = [full, ""]
    md_lines = [f"**{_md(summary)}**", ""]
    if aliases:
        md_lines += ["Aliases: " + ", ".join(f"[{_md(a)}]({advisory_url(a)})" for a in aliases), ""]
    for ecosystem, name, fixed in fixes:
        advice = f"upgrade to {fixed} or later" if fixed else "no fixed version is known"
        text_lines.append(f"{ecosystem} {name}: {advice}.")
        md_lines.append(f"- {_md(ecosystem)} `{_code(name)}`: {_md(advice)}.")
    text_lines += ["", f"Details: {advisory_url(advisory_id)}"]
    md_lines += ["", f"Details: [{_md(advisory_id)}]({advisory_url(advisory_id)})"]
    tags = [
        "security",
        "vulnerability",
        "dependency",
        *sorted({f.package.ecosystem for f in group}),
    ]
    return {
        "id": advisory_id,
        "shortDescription": {"text": short},
        "fullDescription": {"text": full},
        "helpUri": advisory_url(advisory_id),
        "help": {"text": "\n".join(text_lines), "markdown": "\n".join(md_lines)},
        "defaultConfiguration": {"level": _LEVEL[worst.severity]},
        "properties": {
            "security-severity": security_severity(group),
            "tags": tags,
        },
    }


def _code(text: str) -> str:
    return text.replace("`", "'").replace("\n", " ")


def fingerprint(finding: Finding) -> str:
    """Same advisory, same package name, same manifest: same alert, whatever the version or
    line (an upgrade that is still vulnerable, or an edit above it, keeps the alert)."""
    pkg = finding.package
    key = "\0".join(
        (
            finding.advisory_id,
            pkg.ecosystem,
            normalize_name(pkg.ecosystem, pkg.name),
            pkg.source or "",
        )
    )
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _uri(report: Report, path: str) -> str:
    subdir = (report.target.subdir or "").strip("/")
    full = posix_join(subdir, path) if subdir else path
    return quote(full, safe="/-._~")


def _message(finding: Finding) -> str:
    pkg = finding.package
    alias = main_alias(finding)
    named = finding.advisory_id + (f" ({alias})" if alias else "")
    if finding.exact:
        head = f"{pkg.name} {pkg.version} is affected by {named}"
    else:
        head = (
            f"{pkg.name} {version_text(pkg)} may resolve to an affected version "
            f"({finding.matched_range}) of {named}"
        )
    fix = (
        f"Upgrade to {finding.fixed_version} or later."
        if finding.fixed_version
        else "No fixed version is known."
    )
    summary = finding.summary.strip().rstrip(".")
    return f"{head}: {summary}. {fix}" if summary else f"{head}. {fix}"


def _result(
    finding: Finding, index: dict[str, int], report: Report, item: SuppressedFinding | None
) -> dict[str, object]:
    pkg = finding.package
    result: dict[str, object] = {
        "ruleId": finding.advisory_id,
        "ruleIndex": index[finding.advisory_id],
        "level": _LEVEL[finding.severity],
        "message": {"text": _message(finding)},
    }
    locations = [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": _uri(report, loc.path)},
                "region": {"startLine": loc.line or 1},
            }
        }
        for loc in pkg.locations
    ]
    result["locations"] = locations[:1]  # GitHub uses only the first
    if len(locations) > 1:
        result["relatedLocations"] = [
            {"id": n, **loc} for n, loc in enumerate(locations[1:], start=1)
        ]
    result["partialFingerprints"] = {FINGERPRINT_KEY: fingerprint(finding)}
    properties = {
        "package": pkg.name,
        "ecosystem": pkg.ecosystem,
        "version": pkg.version,
        "declared": pkg.declared,
        "purl": pkg.purl,
        "fixedVersion": finding.fixed_version,
        "exact": finding.exact,
        "severity": finding.severity.value,
    }
    result["properties"] = {k: v for k, v in properties.items() if v is not None}
    if item is not None:
        s = item.suppression
        result["suppressions"] = [
            {
                "kind": "external",
                "status": "underReview" if s.state is SuppressionState.IN_TRIAGE else "accepted",
                "justification": f"{s.state.value} ({s.source}): {s.reason}",
            }
        ]
    return result


def _invocation(report: Report, unplaced: list[Finding]) -> dict[str, object]:
    notes: list[dict[str, object]] = [
        {
            "level": "error",
            "message": {"text": f"analyzer {a.name} failed: {a.error or 'no detail'}"},
        }
        for a in sorted(report.failed_analyzers, key=lambda a: a.name)
    ]
    if unplaced:
        listed = ", ".join(f"{f.advisory_id} in {f.package.name}" for f in unplaced)
        notes.append(
            {
                "level": "warning",
                "message": {
                    "text": f"{len(unplaced)} finding(s) read from no file cannot be shown as "
                    f"results: {listed}"
                },
            }
        )
    for error in sorted(report.errors):
        notes.append(
            {
                "level": "warning",
                "message": {"text": error.message},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": _uri(report, error.path)},
                            "region": {"startLine": error.line or 1},
                        }
                    }
                ],
            }
        )
    invocation: dict[str, object] = {"executionSuccessful": not report.failed_analyzers}
    if notes:
        invocation["toolExecutionNotifications"] = notes
    return invocation


def _provenance(report: Report) -> list[dict[str, object]]:
    t = report.target
    if not t.repository or "://" not in t.repository:
        return []
    entry: dict[str, object] = {"repositoryUri": t.repository}
    if t.commit:
        entry["revisionId"] = t.commit
    if t.branch:
        entry["branch"] = t.branch
    return [entry]
