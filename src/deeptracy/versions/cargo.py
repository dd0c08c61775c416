"""crates.io: SemVer order and Cargo's requirement syntax, as the `semver` crate evaluates it.

A requirement is a comma-separated AND of comparators; a bare version is a caret requirement
(https://doc.rust-lang.org/cargo/reference/specifying-dependencies.html). Partial versions
follow the crate's per-part comparisons: "=1.2" is every 1.2.x, ">1.2" starts at 1.3.0, "<=1"
stops before 2.0.0, and "^0.0" is 0.0.x. The crate's rule that a pre-release only matches a
comparator naming a pre-release of the same major.minor.patch is not modelled: bands admit the
pre-releases inside them.
"""

from __future__ import annotations

import re
from functools import lru_cache

from deeptracy.versions._sets import EVERYTHING, all_of, at_least, at_most, between, exactly
from deeptracy.versions.interface import (
    CONSTRAINT_CACHE_SIZE,
    InvalidConstraint,
    InvalidVersion,
    VersionScheme,
    constraint_text,
)
from deeptracy.versions.intervals import VersionSet
from deeptracy.versions.semver import SemverKey, floor, parse_semver, prerelease_key

_NUM = r"0|[1-9]\d*"
_WILD = rf"{_NUM}|[*xX]"
_ID = r"[0-9A-Za-z-]+"
_COMPARATOR = re.compile(
    rf"""\s*(?P<op>=|>=|<=|>|<|~|\^)?\s*
    (?P<M>{_WILD})(?:\.(?P<m>{_WILD})(?:\.(?P<p>{_WILD})
    (?:-(?P<pre>{_ID}(?:\.{_ID})*))?(?:\+{_ID}(?:\.{_ID})*)?)?)?\s*""",
    re.VERBOSE,
)


def _part(text: str | None) -> int | None:
    return None if text is None or text in ("*", "x", "X") else int(text)


def _comparator(text: str, whole: str) -> VersionSet:
    match = _COMPARATOR.fullmatch(text)
    if match is None:
        raise InvalidConstraint(
            f"{whole!r} is not a valid Cargo requirement: {text.strip()!r} is not an operator "
            "(=, >, >=, <, <=, ~, ^) followed by a version"
        )
    parts = [_part(match[name]) for name in ("M", "m", "p")]
    given = [match[name] is not None for name in ("M", "m", "p")]
    wildcard = any(g and p is None for g, p in zip(given, parts, strict=True))
    if wildcard and any(p is not None for p in parts[parts.index(None) :]):
        raise InvalidConstraint(
            f"{whole!r} is not a valid Cargo requirement: only wildcards may follow a wildcard"
        )
    # A bare version is a caret requirement, a bare "1.*" a wildcard (every 1.x.y).
    op = match["op"] or ("=" if wildcard else "^")
    major, minor, patch = parts
    if major is None:
        return EVERYTHING  # "*"
    if minor is None or patch is None:
        return _partial(op, major, minor)
    try:
        pre = prerelease_key(match["pre"], version=whole, ecosystem="crates.io")
    except InvalidVersion as exc:
        raise InvalidConstraint(str(exc)) from None
    key: SemverKey = (major, minor, patch, pre)
    if op == "^":
        if major > 0:
            upper = floor(major + 1, 0, 0)
        elif minor > 0:
            upper = floor(0, minor + 1, 0)
        else:
            upper = floor(0, 0, patch + 1)
        return between(key, upper)
    if op == "~":
        return between(key, floor(major, minor + 1, 0))
    return {
        "=": exactly(key),
        ">": at_least(key, inclusive=False),
        ">=": at_least(key),
        "<": at_most(key, inclusive=False),
        "<=": at_most(key),
    }[op]


def _partial(op: str, major: int, minor: int | None) -> VersionSet:
    """A comparator on "M" or "M.m": the crate compares only the parts that are given."""
    low = floor(major, minor or 0, 0)
    high = floor(major + 1, 0, 0) if minor is None else floor(major, minor + 1, 0)
    if op == "^" and minor is not None and major > 0:
        high = floor(major + 1, 0, 0)  # ^1.2 := >=1.2.0, <2.0.0; ^0.2 := >=0.2.0, <0.3.0
    if op in ("=", "~", "^"):
        return between(low, high)
    return {
        ">": at_least(high),
        ">=": at_least(low),
        "<": at_most(low, inclusive=False),
        "<=": at_most(high, inclusive=False),
    }[op]


@lru_cache(maxsize=CONSTRAINT_CACHE_SIZE)
def _parse_requirement(text: str) -> VersionSet:
    if not text.strip():
        raise InvalidConstraint(f"{text!r} is not a valid Cargo requirement: it is empty")
    return all_of(_comparator(part, text) for part in text.split(","))


class CargoScheme(VersionScheme):
    name = "crates.io"

    def parse(self, version: str) -> SemverKey:
        return parse_semver(version, ecosystem="crates.io")

    def parse_constraint(self, constraint: str) -> VersionSet:
        constraint = constraint_text(constraint, self.name)
        return _parse_requirement(constraint)
