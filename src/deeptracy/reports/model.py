"""The report value every writer renders: what was scanned, what was found, what was set aside."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from deeptracy import __version__
from deeptracy.analyzers.model import Finding
from deeptracy.ecosystems import normalize_name
from deeptracy.inventory.model import FileError, Inventory
from deeptracy.scanning.repo_config import IgnoreRule
from deeptracy.scanning.suppress import SuppressedFinding
from deeptracy.severity import Severity

TOOL_NAME = "DeepTracy"

# Reading order of severity groups in every writer: most severe first, UNKNOWN last. (Ranking,
# used by thresholds, puts UNKNOWN above LOW; a listing puts it apart, at the end.)
SEVERITY_ORDER: tuple[Severity, ...] = (
    Severity.CRITICAL,
    Severity.HIGH,
    Severity.MEDIUM,
    Severity.LOW,
    Severity.NONE,
    Severity.UNKNOWN,
)
_ORDER_INDEX = {severity: index for index, severity in enumerate(SEVERITY_ORDER)}


@dataclass(frozen=True, slots=True)
class Target:
    """What was scanned: a local path or a project's repository, and where in its history.

    `subdir` is the scanned directory relative to the repository root when only part of a
    repository was scanned; SARIF paths are made relative to the repository root with it.
    """

    name: str
    path: str | None = None
    repository: str | None = None
    branch: str | None = None
    commit: str | None = None
    subdir: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "path": self.path,
            "repository": self.repository,
            "branch": self.branch,
            "commit": self.commit,
            "subdir": self.subdir,
        }


class AnalyzerState(StrEnum):
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class AnalyzerStatus:
    """How one analyzer's run went; a failed analyzer means the findings may be incomplete."""

    name: str
    state: AnalyzerState
    error: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "state": self.state.value, "error": self.error}


def finding_sort_key(finding: Finding) -> tuple[object, ...]:
    """Most severe first, then package name, version, advisory id and file."""
    pkg = finding.package
    return (
        _ORDER_INDEX[finding.severity],
        normalize_name(pkg.ecosystem, pkg.name),
        pkg.ecosystem,
        pkg.version or "",
        pkg.declared or "",
        finding.advisory_id,
        pkg.source or "",
    )


@dataclass(frozen=True, slots=True)
class Report:
    """One scan's outcome, ready to render.

    `findings` are the active, merged findings: one per (advisory, package), each naming the
    analyzers that reported it. `suppressed` are the findings an ignore rule or a triage
    decision took out, with that decision. `expired_rules` are ignore rules that no longer
    apply because their date passed; the findings they used to hide are active again.
    """

    target: Target
    generated_at: datetime
    inventory: Inventory = field(default_factory=Inventory)
    findings: tuple[Finding, ...] = ()
    suppressed: tuple[SuppressedFinding, ...] = ()
    analyzers: tuple[AnalyzerStatus, ...] = ()
    expired_rules: tuple[IgnoreRule, ...] = ()
    tool_name: str = TOOL_NAME
    tool_version: str = __version__

    def __post_init__(self) -> None:
        if self.generated_at.tzinfo is None:
            raise ValueError("Report.generated_at must be timezone-aware")
        object.__setattr__(self, "generated_at", self.generated_at.astimezone(UTC))
        seen: set[tuple[str, object]] = set()
        for finding in (*self.findings, *(s.finding for s in self.suppressed)):
            key = (finding.advisory_id, finding.package)
            if key in seen:
                raise ValueError(
                    f"{finding.advisory_id} is reported twice for {finding.package.name}; "
                    "merge findings before building a report"
                )
            seen.add(key)

    @property
    def errors(self) -> tuple[FileError, ...]:
        """Files (or parts of files) the inventory could not read."""
        return self.inventory.errors

    @property
    def failed_analyzers(self) -> tuple[AnalyzerStatus, ...]:
        return tuple(a for a in self.analyzers if a.state is AnalyzerState.FAILED)

    def sorted_findings(self) -> tuple[Finding, ...]:
        return tuple(sorted(self.findings, key=finding_sort_key))

    def sorted_suppressed(self) -> tuple[SuppressedFinding, ...]:
        return tuple(sorted(self.suppressed, key=lambda s: finding_sort_key(s.finding)))

    def counts_by_severity(self) -> dict[Severity, int]:
        """Active findings per severity, every severity present (zero when none), in
        SEVERITY_ORDER."""
        counts = Counter(f.severity for f in self.findings)
        return {severity: counts.get(severity, 0) for severity in SEVERITY_ORDER}

    def affected_packages(self) -> int:
        """Distinct packages (ecosystem, name, version or declared range) with an active finding."""
        return len(_package_identities(f for f in self.findings))

    def threshold_exceeded(self, threshold: Severity) -> bool:
        """Whether an active finding is at least as severe as `threshold` (by Severity.rank).

        Declared-only ("possibly affected") findings count: the declared range admits an
        affected version, and nothing in the tree pins a safe one, so a gate must not pass
        until a lockfile shows otherwise or the finding is suppressed. Suppressed findings
        never count; UNKNOWN ranks above LOW, so a LOW threshold does not hide it.
        """
        return any(f.severity.at_least(threshold) for f in self.findings)


def _package_identities(findings: Iterable[Finding]) -> set[tuple[str, str, str, str]]:
    return {
        (
            f.package.ecosystem,
            normalize_name(f.package.ecosystem, f.package.name),
            f.package.version or "",
            f.package.declared or "",
        )
        for f in findings
    }
