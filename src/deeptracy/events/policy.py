"""When a project is told about an event: its policy (always / new / never) and minimum severity.

- `never`: nothing is sent (events are still recorded and visible through the API).
- `new` (the default): a finished scan is notified when it has new active findings at or
  above the minimum severity ("new" = not among the open findings of the branch's previous
  successful scan, or any finding of a branch's first scan); monitoring's NEW_FINDINGS likewise.
  Failed scans and closed findings are not notified.
- `always`: every finished scan (DONE or SAME_DEPS_AS_PREVIOUS, also with zero findings) and
  every failed scan; NEW_FINDINGS and FINDINGS_CLOSED when at least one of their findings is at
  or above the minimum severity.

The minimum severity also filters the findings a message lists; counts of a scan summary stay
complete. TRIAGED events are never notified.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from deeptracy.severity import Severity
from deeptracy.store.enums import EventKind


class NotifyPolicy(StrEnum):
    ALWAYS = "always"
    NEW = "new"
    NEVER = "never"


class PolicyError(ValueError):
    pass


DEFAULT_POLICY = NotifyPolicy.NEW
DEFAULT_MIN_SEVERITY = Severity.LOW


def parse_policy(value: str) -> NotifyPolicy:
    try:
        return NotifyPolicy(value.strip().lower())
    except ValueError:
        raise PolicyError(
            f"unknown notification policy {value!r}: use always, new or never"
        ) from None


def parse_min_severity(value: str) -> Severity:
    try:
        return Severity.parse(value)
    except ValueError as exc:
        raise PolicyError(str(exc)) from None


def stored_policy(value: str | None) -> NotifyPolicy:
    """A stored policy, read leniently (an unreadable value means the default)."""
    try:
        return parse_policy(value or "")
    except PolicyError:
        return DEFAULT_POLICY


def stored_min_severity(value: str | None) -> Severity:
    try:
        return parse_min_severity(value or "")
    except PolicyError:
        return DEFAULT_MIN_SEVERITY


def any_at_least(counts: Mapping[str, Any] | None, minimum: Severity) -> bool:
    """Whether counts by severity ({"HIGH": 2, ...}) hold one finding at or above `minimum`."""
    for name, count in (counts or {}).items():
        try:
            severity = Severity.parse(str(name))
        except ValueError:
            continue
        if isinstance(count, int) and count > 0 and severity.at_least(minimum):
            return True
    return False


def wants_notification(
    policy: NotifyPolicy, minimum: Severity, kind: str, payload: Mapping[str, Any]
) -> bool:
    """Whether an event of `kind` with `payload` (as recorded) is sent under the policy."""
    if policy is NotifyPolicy.NEVER:
        return False
    if kind == EventKind.SCAN_FAILED:
        return policy is NotifyPolicy.ALWAYS
    if kind == EventKind.SCAN_FINISHED:
        if policy is NotifyPolicy.ALWAYS:
            return True
        return any_at_least(payload.get("new_counts"), minimum)
    if kind == EventKind.NEW_FINDINGS:
        return any_at_least(payload.get("counts"), minimum)
    if kind == EventKind.FINDINGS_CLOSED:
        return policy is NotifyPolicy.ALWAYS and any_at_least(payload.get("counts"), minimum)
    return False
