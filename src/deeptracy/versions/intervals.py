"""Sets of versions as unions of intervals over one scheme's ordering keys.

Both sides of a declared-range check are VersionSets: a declared requirement (">=3.0,<4",
"^1.2.0") parsed by the ecosystem's constraint syntax, and an OSV affected range (events, or an
explicit list of versions, which is a union of points). Treating versions as points on a line
lets us ask "does the requirement overlap what is affected?" and "does it also admit an
unaffected version?" without knowing every published version.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Interval:
    """Versions between `lower` and `upper`; None is unbounded on that side."""

    lower: Any = None
    lower_inclusive: bool = True
    upper: Any = None
    upper_inclusive: bool = False

    @classmethod
    def point(cls, key: Any) -> Interval:
        return cls(key, True, key, True)

    @property
    def is_empty(self) -> bool:
        if self.lower is None or self.upper is None:
            return False
        if self.lower < self.upper:
            return False
        if self.upper < self.lower:
            return True
        return not (self.lower_inclusive and self.upper_inclusive)

    def contains(self, key: Any) -> bool:
        if self.lower is not None and (
            key < self.lower or (key == self.lower and not self.lower_inclusive)
        ):
            return False
        return not (
            self.upper is not None
            and (self.upper < key or (key == self.upper and not self.upper_inclusive))
        )

    def intersect(self, other: Interval) -> Interval:
        lower, lower_inc = _max_lower(
            (self.lower, self.lower_inclusive), (other.lower, other.lower_inclusive)
        )
        upper, upper_inc = _min_upper(
            (self.upper, self.upper_inclusive), (other.upper, other.upper_inclusive)
        )
        return Interval(lower, lower_inc, upper, upper_inc)


def _max_lower(a: tuple[Any, bool], b: tuple[Any, bool]) -> tuple[Any, bool]:
    if a[0] is None:
        return b
    if b[0] is None:
        return a
    if a[0] < b[0]:
        return b
    if b[0] < a[0]:
        return a
    return (a[0], a[1] and b[1])


def _min_upper(a: tuple[Any, bool], b: tuple[Any, bool]) -> tuple[Any, bool]:
    if a[0] is None:
        return b
    if b[0] is None:
        return a
    if a[0] < b[0]:
        return a
    if b[0] < a[0]:
        return b
    return (a[0], a[1] and b[1])


def _lower_sort_key(iv: Interval) -> tuple[int, Any, int]:
    # Unbounded lowers first; at equal keys an inclusive lower starts earlier.
    return (0, 0, 0) if iv.lower is None else (1, iv.lower, 0 if iv.lower_inclusive else 1)


@dataclass(frozen=True, slots=True)
class VersionSet:
    """A union of disjoint intervals, sorted; built with `of`, which normalises."""

    intervals: tuple[Interval, ...] = ()

    @classmethod
    def of(cls, intervals: Iterable[Interval]) -> VersionSet:
        items = sorted((iv for iv in intervals if not iv.is_empty), key=_lower_sort_key)
        merged: list[Interval] = []
        for iv in items:
            if merged and _touches(merged[-1], iv):
                last = merged[-1]
                upper, upper_inc = _max_upper(
                    (last.upper, last.upper_inclusive), (iv.upper, iv.upper_inclusive)
                )
                merged[-1] = Interval(last.lower, last.lower_inclusive, upper, upper_inc)
            else:
                merged.append(iv)
        return cls(tuple(merged))

    @classmethod
    def everything(cls) -> VersionSet:
        return cls((Interval(),))

    @classmethod
    def points(cls, keys: Iterable[Any]) -> VersionSet:
        return cls.of(Interval.point(k) for k in keys)

    @property
    def is_empty(self) -> bool:
        return not self.intervals

    def contains(self, key: Any) -> bool:
        return any(iv.contains(key) for iv in self.intervals)

    def union(self, other: VersionSet) -> VersionSet:
        return VersionSet.of((*self.intervals, *other.intervals))

    def intersect(self, other: VersionSet) -> VersionSet:
        return VersionSet.of(a.intersect(b) for a in self.intervals for b in other.intervals)

    def complement(self) -> VersionSet:
        gaps: list[Interval] = []
        lower: Any = None
        lower_inc = True
        for iv in self.intervals:
            if iv.lower is not None:
                gaps.append(Interval(lower, lower_inc, iv.lower, not iv.lower_inclusive))
            if iv.upper is None:
                return VersionSet.of(gaps)
            lower, lower_inc = iv.upper, not iv.upper_inclusive
        gaps.append(Interval(lower, lower_inc, None, False))
        return VersionSet.of(gaps)

    def difference(self, other: VersionSet) -> VersionSet:
        return self.intersect(other.complement())

    def overlaps(self, other: VersionSet) -> bool:
        return not self.intersect(other).is_empty


def _touches(a: Interval, b: Interval) -> bool:
    """Whether b (starting at or after a's start) overlaps or abuts a, so they merge."""
    if a.upper is None or b.lower is None:
        return True
    if b.lower < a.upper:
        return True
    if a.upper < b.lower:
        return False
    return a.upper_inclusive or b.lower_inclusive


def _max_upper(a: tuple[Any, bool], b: tuple[Any, bool]) -> tuple[Any, bool]:
    if a[0] is None or b[0] is None:
        return (None, False)
    if a[0] < b[0]:
        return b
    if b[0] < a[0]:
        return a
    return (a[0], a[1] or b[1])
