"""Assertions shared by the version tests: orderings and constraint membership."""

from __future__ import annotations

import itertools

from deeptracy.versions import VersionScheme, scheme_for


def scheme(ecosystem: str) -> VersionScheme:
    found = scheme_for(ecosystem)
    assert found is not None, ecosystem
    return found


def assert_ascending(ecosystem: str, versions: list[str]) -> None:
    """Every earlier version sorts strictly before every later one, in both directions."""
    s = scheme(ecosystem)
    wrong = [
        (low, high)
        for low, high in itertools.combinations(versions, 2)
        if not (s.compare(low, high) == -1 and s.compare(high, low) == 1)
    ]
    assert wrong == []


def assert_equal(ecosystem: str, *versions: str) -> None:
    s = scheme(ecosystem)
    keys = [s.parse(v) for v in versions]
    assert all(k == keys[0] and hash(k) == hash(keys[0]) for k in keys), versions


def assert_admits(ecosystem: str, spec: str, inside: list[str], outside: list[str]) -> None:
    s = scheme(ecosystem)
    allowed = s.parse_constraint(spec)
    assert [v for v in inside if not allowed.contains(s.parse(v))] == [], "should admit"
    assert [v for v in outside if allowed.contains(s.parse(v))] == [], "should refuse"
