"""The channel-neutral message of an event: built once, rendered by each notifier.

A message says what happened to which project and branch (title and one-sentence summary), the
counts by severity, and the findings to list (new, closed or most severe open ones, most severe
first, filtered by the project's minimum severity), with a dashboard link built from
PUBLIC_URL (none when it is unset). Every text that comes from outside (advisory summaries,
package names, project and branch names) is kept raw here; each renderer escapes it for its
format. Messages are in English.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from deeptracy.config import Settings
from deeptracy.events.history import SEVERITY_ORDER, EventInfo, severity_of, sorted_entries
from deeptracy.severity import Severity
from deeptracy.store.enums import EventKind

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
_CVE = re.compile(r"^CVE-\d{4}-\d+$", re.IGNORECASE)


def one_line(text: object, limit: int = 300) -> str:
    """Untrusted text on one line (control characters become spaces), at most `limit` chars."""
    value = _CONTROL.sub(" ", str(text or "")).strip()
    return value if len(value) <= limit else value[: limit - 1] + "…"


def plural(count: int, singular: str, many: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (many or singular + 's')}"


def vulnerabilities(count: int, adjective: str = "") -> str:
    words = f"{adjective} " if adjective else ""
    return f"{count} {words}{'vulnerability' if count == 1 else 'vulnerabilities'}"


@dataclass(frozen=True, slots=True)
class ProjectRef:
    id: str
    name: str
    repository: str | None = None


@dataclass(frozen=True, slots=True)
class MessageFinding:
    advisory_id: str
    alias: str | None  # the main alias: the CVE when there is one, else the first alias
    aliases: tuple[str, ...]
    severity: Severity
    score: float | None
    summary: str
    ecosystem: str
    package: str
    version: str | None
    declared: str | None
    purl: str | None
    fixed: tuple[str, ...]
    source: str | None
    closed_reason: str | None = None

    @property
    def fixed_version(self) -> str | None:
        return self.fixed[0] if self.fixed else None

    @property
    def installed(self) -> str:
        """The version, or the declared requirement marked as such."""
        if self.version:
            return self.version
        if self.declared:
            return f"{self.declared} (declared)"
        return "unknown version"

    @classmethod
    def from_entry(cls, entry: Mapping[str, Any]) -> MessageFinding:
        aliases = tuple(str(a) for a in entry.get("aliases") or () if isinstance(a, str))
        alias = next((a for a in aliases if _CVE.match(a)), aliases[0] if aliases else None)
        score = entry.get("score")
        return cls(
            advisory_id=str(entry.get("advisory_id") or ""),
            alias=alias,
            aliases=aliases,
            severity=severity_of(entry.get("severity")),
            score=float(score) if isinstance(score, int | float) else None,
            summary=one_line(entry.get("summary")),
            ecosystem=str(entry.get("ecosystem") or ""),
            package=str(entry.get("package") or ""),
            version=_opt(entry.get("version")),
            declared=_opt(entry.get("declared")),
            purl=_opt(entry.get("purl")),
            fixed=tuple(str(f) for f in entry.get("fixed") or () if isinstance(f, str)),
            source=_opt(entry.get("source")),
            closed_reason=_opt(entry.get("closed_reason")),
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "advisory_id": self.advisory_id,
            "aliases": list(self.aliases),
            "severity": self.severity.value,
            "score": self.score,
            "summary": self.summary,
            "package": {
                "ecosystem": self.ecosystem,
                "name": self.package,
                "version": self.version,
                "declared": self.declared,
                "purl": self.purl,
            },
            "fixed": list(self.fixed),
            "source": self.source,
            "closed_reason": self.closed_reason,
        }


def _opt(value: object) -> str | None:
    return str(value) if isinstance(value, str) and value else None


@dataclass(frozen=True, slots=True)
class Message:
    event_id: int
    kind: EventKind
    project: ProjectRef
    branch: str | None
    commit: str | None
    scan_id: str | None
    advisory_run_id: int | None
    created_at: datetime
    title: str  # "shop@main: 2 new critical vulnerabilities"
    summary: str  # one sentence
    counts_label: str  # what `counts` counts
    counts: tuple[tuple[Severity, int], ...]
    findings_label: str
    findings: tuple[MessageFinding, ...]  # every finding to list, most severe first
    total_findings: int  # findings behind the list (the list may be cut)
    failure_reason: str | None = None
    failure_detail: str | None = None
    dashboard_url: str | None = None

    @property
    def target(self) -> str:
        return f"{self.project.name}@{self.branch}" if self.branch else self.project.name

    @property
    def subject(self) -> str:
        return one_line(f"[DeepTracy] {self.title}", 250)

    def top(self, limit: int) -> tuple[tuple[MessageFinding, ...], int]:
        """The first `limit` findings, and how many more there are."""
        shown = self.findings[:limit]
        return shown, max(0, self.total_findings - len(shown))


def dashboard_url(settings: Settings, project_id: str, scan_id: str | None = None) -> str | None:
    """The dashboard page of a project (or of one scan); None without PUBLIC_URL."""
    if not settings.public_url:
        return None
    base = settings.public_url.rstrip("/")
    if scan_id:
        return f"{base}/projects/{project_id}/scans/{scan_id}"
    return f"{base}/projects/{project_id}"


def _counts(raw: object) -> tuple[tuple[Severity, int], ...]:
    data = raw if isinstance(raw, Mapping) else {}
    found: dict[Severity, int] = {}
    for key, value in data.items():
        if isinstance(value, int) and value > 0:
            severity = severity_of(key)
            found[severity] = found.get(severity, 0) + value
    return tuple((s, found.get(s, 0)) for s in SEVERITY_ORDER)


def _filtered(entries: object, minimum: Severity) -> list[MessageFinding]:
    items = [e for e in entries if isinstance(e, Mapping)] if isinstance(entries, list) else []
    return [
        f
        for f in (MessageFinding.from_entry(e) for e in sorted_entries(items))
        if f.severity.at_least(minimum)
    ]


def _count_at_least(counts: tuple[tuple[Severity, int], ...], minimum: Severity) -> int:
    return sum(n for s, n in counts if s.at_least(minimum))


def _phrase(counts: tuple[tuple[Severity, int], ...], minimum: Severity, adjective: str) -> str:
    """ "2 new critical vulnerabilities" or "3 new vulnerabilities (1 critical, 2 high)"."""
    kept = [(s, n) for s, n in counts if n and s.at_least(minimum)]
    total = sum(n for _, n in kept)
    if len(kept) == 1:
        return vulnerabilities(total, f"{adjective} {kept[0][0].value.lower()}".strip())
    detail = ", ".join(f"{n} {s.value.lower()}" for s, n in kept)
    return f"{vulnerabilities(total, adjective)} ({detail})"


def build_message(
    event: EventInfo,
    project: ProjectRef,
    settings: Settings,
    minimum: Severity = Severity.LOW,
) -> Message:
    """The message of a recorded event for a project whose minimum severity is `minimum`."""
    payload = event.payload
    kind = EventKind(event.kind)
    target = f"{project.name}@{event.branch}" if event.branch else project.name
    commit = _opt(payload.get("commit"))
    common: dict[str, Any] = {
        "event_id": event.id,
        "kind": kind,
        "project": ProjectRef(project.id, one_line(project.name, 200), project.repository),
        "branch": one_line(event.branch, 255) if event.branch else None,
        "commit": commit,
        "scan_id": event.scan_id,
        "advisory_run_id": event.advisory_run_id,
        "created_at": event.created_at,
        "dashboard_url": dashboard_url(settings, project.id, event.scan_id),
    }
    target = one_line(target, 300)
    at_commit = f" at {commit[:12]}" if commit else ""

    if kind is EventKind.SCAN_FAILED:
        reason = one_line(payload.get("failure_reason") or "unknown reason", 64)
        detail = one_line(payload.get("failure_detail"), 500) or None
        return Message(
            **common,
            title=f"{target}: scan failed ({reason})",
            summary=f"The scan of {target}{at_commit} failed: {detail or reason}.",
            counts_label="",
            counts=(),
            findings_label="",
            findings=(),
            total_findings=0,
            failure_reason=reason,
            failure_detail=detail,
        )

    if kind is EventKind.SCAN_FINISHED:
        counts = _counts(payload.get("counts"))
        new_counts = _counts(payload.get("new_counts"))
        total = sum(n for _, n in counts)
        packages = payload.get("total_packages")
        in_packages = f" in {plural(packages, 'package')}" if isinstance(packages, int) else ""
        new_total = _count_at_least(new_counts, minimum)
        if new_total:
            title = f"{target}: {_phrase(new_counts, minimum, 'new')}"
            findings = _filtered(payload.get("new"), minimum)
            label, listed_total = "New vulnerabilities", new_total
            summary = (
                f"The scan of {target}{at_commit} found {vulnerabilities(total)}{in_packages}; "
                f"{new_total} {'is' if new_total == 1 else 'are'} new."
            )
        else:
            title = (
                f"{target}: scan finished, {vulnerabilities(total, 'open')}, none new"
                if total
                else f"{target}: scan finished, no vulnerabilities"
            )
            findings = _filtered(payload.get("top"), minimum)
            label, listed_total = (
                "Most severe open vulnerabilities",
                _count_at_least(counts, minimum),
            )
            summary = (
                f"The scan of {target}{at_commit} found {vulnerabilities(total)}{in_packages}; "
                "none is new."
                if total
                else f"The scan of {target}{at_commit} found no vulnerabilities{in_packages}."
            )
        return Message(
            **common,
            title=title,
            summary=summary,
            counts_label="Open vulnerabilities by severity",
            counts=counts,
            findings_label=label,
            findings=tuple(findings),
            total_findings=max(listed_total, len(findings)),
        )

    counts = _counts(payload.get("counts"))
    findings = _filtered(payload.get("findings"), minimum)
    shown_total = max(_count_at_least(counts, minimum), len(findings))
    if kind is EventKind.NEW_FINDINGS:
        title = f"{target}: {_phrase(counts, minimum, 'new')} from an advisory update"
        summary = (
            f"New or changed advisories affect {target}: "
            f"{vulnerabilities(shown_total)} found without a new scan."
        )
        label, counts_label = "New vulnerabilities", "New vulnerabilities by severity"
    elif kind is EventKind.FINDINGS_CLOSED:
        title = f"{target}: {vulnerabilities(shown_total)} closed by an advisory update"
        summary = (
            f"Withdrawn or corrected advisories no longer affect {target}: "
            f"{vulnerabilities(shown_total)} closed."
        )
        label, counts_label = "Closed vulnerabilities", "Closed vulnerabilities by severity"
    else:
        title = f"{target}: {one_line(event.summary, 200) or kind.value}"
        summary = one_line(event.summary, 500)
        label, counts_label = "", ""
    return Message(
        **common,
        title=title,
        summary=summary,
        counts_label=counts_label,
        counts=counts,
        findings_label=label,
        findings=tuple(findings),
        total_findings=shown_total,
    )


def counts_text(counts: Sequence[tuple[Severity, int]]) -> str:
    """ "2 critical, 1 high" (zero counts left out), or "none"."""
    parts = [f"{n} {s.value.lower()}" for s, n in counts if n]
    return ", ".join(parts) or "none"
