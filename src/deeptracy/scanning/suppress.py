"""Suppression: findings set aside by a `.deeptracy.yml` ignore rule (later also by triage).

A suppressed finding is never dropped: it travels beside the active ones with the decision that
suppressed it, so every report can show what was hidden, why, by whom and until when.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, NamedTuple

from deeptracy.analyzers.model import Finding
from deeptracy.ecosystems import normalize_name

if TYPE_CHECKING:
    from deeptracy.scanning.repo_config import IgnoreRule

REPO_CONFIG_SOURCE = ".deeptracy.yml"
TRIAGE_SOURCE = "triage"


class SuppressionState(StrEnum):
    """Why a finding is not active. The first four are VEX-like analysis states; IGNORED is a
    `.deeptracy.yml` rule that gives a reason without asserting any of them."""

    NOT_AFFECTED = "not_affected"
    FALSE_POSITIVE = "false_positive"
    ACCEPTED_RISK = "accepted_risk"  # affected, and knowingly left as is
    IN_TRIAGE = "in_triage"  # being investigated (dashboard triage)
    IGNORED = "ignored"


class Justification(StrEnum):
    """Why a component is not affected (CycloneDX 1.6 impact-analysis justifications)."""

    CODE_NOT_PRESENT = "code_not_present"
    CODE_NOT_REACHABLE = "code_not_reachable"
    REQUIRES_CONFIGURATION = "requires_configuration"
    REQUIRES_DEPENDENCY = "requires_dependency"
    REQUIRES_ENVIRONMENT = "requires_environment"
    PROTECTED_BY_COMPILER = "protected_by_compiler"
    PROTECTED_AT_RUNTIME = "protected_at_runtime"
    PROTECTED_AT_PERIMETER = "protected_at_perimeter"
    PROTECTED_BY_MITIGATING_CONTROL = "protected_by_mitigating_control"


@dataclass(frozen=True, slots=True)
class Suppression:
    """A decision that takes a finding out of the active set.

    `source` says where the decision lives (".deeptracy.yml" or "triage"); `rule` is the id
    the ignore rule named (an alias, possibly), so a reader can find the line to remove.
    """

    state: SuppressionState
    reason: str
    source: str
    who: str | None = None
    when: datetime | None = None
    expires: date | None = None
    justification: Justification | None = None
    rule: str | None = None

    def __post_init__(self) -> None:
        if self.justification is not None and self.state is not SuppressionState.NOT_AFFECTED:
            raise ValueError("a justification only explains a not_affected state")
        if self.when is not None and self.when.tzinfo is None:
            raise ValueError("Suppression.when must be timezone-aware")

    def to_dict(self) -> dict[str, object]:
        return {
            "state": self.state.value,
            "reason": self.reason,
            "source": self.source,
            "rule": self.rule,
            "justification": self.justification.value if self.justification else None,
            "who": self.who,
            "when": _utc_text(self.when) if self.when else None,
            "expires": self.expires.isoformat() if self.expires else None,
        }


@dataclass(frozen=True, slots=True)
class SuppressedFinding:
    finding: Finding
    suppression: Suppression


class IgnoreOutcome(NamedTuple):
    active: tuple[Finding, ...]
    suppressed: tuple[SuppressedFinding, ...]
    expired_rules: tuple[IgnoreRule, ...]


def rule_matches(rule: IgnoreRule, finding: Finding) -> bool:
    """Whether `rule` names this finding: its id is the advisory id or any alias (any case),
    and its package, when given, is the finding's package under the ecosystem's name rules."""
    wanted = rule.id.casefold()
    if not any(wanted == known.casefold() for known in finding.ids):
        return False
    if rule.package is None:
        return True
    package = finding.package
    if rule.package.ecosystem is not None and rule.package.ecosystem != package.ecosystem:
        return False
    return normalize_name(package.ecosystem, rule.package.name) == normalize_name(
        package.ecosystem, package.name
    )


def apply_ignores(
    findings: Iterable[Finding], rules: Sequence[IgnoreRule], today: date
) -> IgnoreOutcome:
    """Split findings into active and suppressed by the first live rule that matches each.

    A rule whose `expires` date is before `today` no longer applies (it lives through its
    expiry day); every such rule is returned so the report can say it expired.
    """
    live = [rule for rule in rules if not rule.expired(today)]
    expired = tuple(rule for rule in rules if rule.expired(today))
    active: list[Finding] = []
    suppressed: list[SuppressedFinding] = []
    for finding in findings:
        rule = next((r for r in live if rule_matches(r, finding)), None)
        if rule is None:
            active.append(finding)
        else:
            suppressed.append(SuppressedFinding(finding, rule.suppression()))
    return IgnoreOutcome(tuple(active), tuple(suppressed), expired)


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
