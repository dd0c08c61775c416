"""Small constructors for the VersionSets that the constraint parsers build."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from deeptracy.versions.intervals import Interval, VersionSet

EVERYTHING = VersionSet.everything()
NOTHING = VersionSet()


def exactly(key: Any) -> VersionSet:
    return VersionSet.points([key])


def at_least(key: Any, *, inclusive: bool = True) -> VersionSet:
    return VersionSet.of([Interval(key, inclusive, None, False)])


def at_most(key: Any, *, inclusive: bool = True) -> VersionSet:
    return VersionSet.of([Interval(None, True, key, inclusive)])


def between(
    lower: Any, upper: Any, *, lower_inclusive: bool = True, upper_inclusive: bool = False
) -> VersionSet:
    return VersionSet.of([Interval(lower, lower_inclusive, upper, upper_inclusive)])


def all_of(sets: Iterable[VersionSet]) -> VersionSet:
    result = EVERYTHING
    for each in sets:
        result = result.intersect(each)
    return result


def any_of(sets: Iterable[VersionSet]) -> VersionSet:
    return VersionSet.of(iv for each in sets for iv in each.intervals)
