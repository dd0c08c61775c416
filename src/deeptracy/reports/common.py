"""Small pieces every writer shares: advisory links, display text, the summary sentence."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import quote

from deeptracy.analyzers.model import Finding
from deeptracy.inventory.model import Package
from deeptracy.reports.model import SEVERITY_ORDER, Report
from deeptracy.scanning.suppress import SuppressionState

# C0/C1 controls, DEL, the bidi overrides/isolates that can reorder text on screen, and lone
# surrogates (valid in JSON input, unencodable on output).
_UNSAFE = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_SPACES = re.compile(r"[\t\n\r]+")

STATE_LABELS = {
    SuppressionState.NOT_AFFECTED: "not affected",
    SuppressionState.FALSE_POSITIVE: "false positive",
    SuppressionState.ACCEPTED_RISK: "accepted risk",
    SuppressionState.IN_TRIAGE: "in triage",
    SuppressionState.IGNORED: "ignored",
}


def clean(text: str) -> str:
    """Text from outside (advisories, lockfiles) made safe for one line of a terminal or page:
    control characters and bidi overrides become U+FFFD, line breaks become spaces."""
    return _UNSAFE.sub("\ufffd", _SPACES.sub(" ", text)).strip()


def advisory_url(advisory_id: str) -> str:
    """A public page for an advisory id: GitHub for GHSA, NVD for CVE, OSV for the rest."""
    quoted = quote(advisory_id, safe="")
    if advisory_id.upper().startswith("GHSA-"):
        return f"https://github.com/advisories/{quoted}"
    if advisory_id.upper().startswith("CVE-"):
        return f"https://nvd.nist.gov/vuln/detail/{quoted}"
    return f"https://osv.dev/vulnerability/{quoted}"


def main_alias(finding: Finding) -> str | None:
    """The alias people search for: a CVE, else a GHSA id, other than the advisory id."""
    others = finding.ids[1:]
    for prefix in ("CVE-", "GHSA-"):
        for alias in others:
            if alias.upper().startswith(prefix):
                return alias
    return None


def version_text(package: Package) -> str:
    if package.version is not None:
        return package.version
    if package.declared is not None:
        return f"{package.declared} (declared)"
    return "unresolved"


def location_text(package: Package) -> str:
    """ "requirements.txt:3", or the path alone when the format has no lines."""
    if not package.locations:
        return "-"
    first = package.locations[0]
    text = f"{first.path}:{first.line}" if first.line else first.path
    extra = len(package.locations) - 1
    return f"{text} (+{extra} more)" if extra else text


def match_text(finding: Finding) -> str:
    return "exact" if finding.exact else "possibly affected"


def fixed_text(finding: Finding) -> str:
    return finding.fixed_version or "no fix"


def utc_text(moment: datetime) -> str:
    """RFC 3339 in UTC with a Z, to the second."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def plural(count: int, word: str, many: str | None = None) -> str:
    """ "1 package", "3 packages"."""
    return f"{count} {word if count == 1 else many or word + 's'}"


def summary_line(report: Report) -> str:
    """ "3 vulnerabilities (1 critical, 2 high) in 2 packages", or the all-clear sentence."""
    total = len(report.findings)
    scanned = len(report.inventory.packages)
    if total == 0:
        return f"No known vulnerabilities in {plural(scanned, 'package')}"
    counts = report.counts_by_severity()
    parts = ", ".join(
        f"{counts[severity]} {severity.value.lower()}"
        for severity in SEVERITY_ORDER
        if counts[severity]
    )
    return (
        f"{plural(total, 'vulnerability', 'vulnerabilities')} ({parts}) "
        f"in {plural(report.affected_packages(), 'package')}"
    )
