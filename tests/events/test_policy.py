"""Policy values: parsing what clients send, reading what is stored."""

from __future__ import annotations

import pytest

from deeptracy.events.policy import (
    NotifyPolicy,
    PolicyError,
    parse_min_severity,
    parse_policy,
    stored_min_severity,
    stored_policy,
    wants_notification,
)
from deeptracy.severity import Severity


def test_parse_policy_and_severity() -> None:
    assert parse_policy(" Always ") is NotifyPolicy.ALWAYS
    assert parse_min_severity("moderate") is Severity.MEDIUM
    with pytest.raises(
        PolicyError, match="unknown notification policy 'sometimes': use always, new or never"
    ):
        parse_policy("sometimes")
    with pytest.raises(PolicyError, match="unknown severity 'urgent'"):
        parse_min_severity("urgent")


def test_stored_values_are_read_leniently() -> None:
    assert stored_policy(None) is NotifyPolicy.NEW
    assert stored_policy("garbage") is NotifyPolicy.NEW
    assert stored_policy("never") is NotifyPolicy.NEVER
    assert stored_min_severity("") is Severity.LOW
    assert stored_min_severity("HIGH") is Severity.HIGH


def test_unusual_payloads_and_kinds() -> None:
    counts = {"HIGH": 1, "bogus": 3, "LOW": "many"}
    assert wants_notification(NotifyPolicy.NEW, Severity.HIGH, "new_findings", {"counts": counts})
    assert not wants_notification(
        NotifyPolicy.NEW, Severity.CRITICAL, "new_findings", {"counts": counts}
    )
    assert not wants_notification(NotifyPolicy.ALWAYS, Severity.LOW, "triaged", {})
    assert not wants_notification(NotifyPolicy.ALWAYS, Severity.LOW, "new_findings", {})
