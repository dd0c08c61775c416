"""Hex: SemVer order and Elixir's Version requirements (https://hexdocs.pm/elixir/Version.html).

A requirement is comparisons joined by `and` / `or` (`and` binds tighter); a bare version means
`==`. `~> 2.0` is `>= 2.0.0 and < 3.0.0`, `~> 2.0.1` is `>= 2.0.1 and < 2.1.0`, and `~>` never
admits a pre-release of its upper bound. Elixir's rule that ranges skip pre-releases unless
asked (`allow_pre`) is not modelled: a range admits the pre-releases between its bounds.
"""

from __future__ import annotations

import re
from functools import lru_cache

from deeptracy.versions._sets import all_of, any_of, at_least, at_most, between, exactly
from deeptracy.versions.interface import (
    CONSTRAINT_CACHE_SIZE,
    InvalidConstraint,
    InvalidVersion,
    VersionScheme,
    constraint_text,
)
from deeptracy.versions.intervals import VersionSet
from deeptracy.versions.semver import SemverKey, floor, parse_semver, prerelease_key

_ID = r"[0-9A-Za-z-]+"
_CLAUSE = re.compile(
    rf"""(?P<op>~>|==|!=|>=|<=|>|<)?\s*
    (?P<M>0|[1-9]\d*)\.(?P<m>0|[1-9]\d*)(?:\.(?P<p>0|[1-9]\d*))?
    (?:-(?P<pre>{_ID}(?:\.{_ID})*))?(?:\+{_ID}(?:\.{_ID})*)?""",
    re.VERBOSE,
)
_OR = re.compile(r"\s+or\s+")
_AND = re.compile(r"\s+and\s+")


def _clause(text: str, whole: str) -> VersionSet:
    match = _CLAUSE.fullmatch(text.strip())
    if match is None:
        raise InvalidConstraint(
            f"{whole!r} is not a valid Elixir requirement: {text.strip()!r} is not an operator "
            "(==, !=, >, >=, <, <=, ~>) followed by a MAJOR.MINOR.PATCH version"
        )
    op = match["op"] or "=="
    major, minor = int(match["M"]), int(match["m"])
    if match["p"] is None and op != "~>":
        raise InvalidConstraint(
            f"{whole!r} is not a valid Elixir requirement: only ~> accepts a MAJOR.MINOR "
            f"version, {op} needs MAJOR.MINOR.PATCH"
        )
    try:
        pre = prerelease_key(match["pre"], version=whole, ecosystem="Hex")
    except InvalidVersion as exc:
        raise InvalidConstraint(str(exc)) from None
    key: SemverKey = (major, minor, int(match["p"] or 0), pre)
    if op == "~>":
        upper = floor(major + 1, 0, 0) if match["p"] is None else floor(major, minor + 1, 0)
        return between(key, upper)
    if op == "!=":
        return exactly(key).complement()
    return {
        "==": exactly(key),
        ">": at_least(key, inclusive=False),
        ">=": at_least(key),
        "<": at_most(key, inclusive=False),
        "<=": at_most(key),
    }[op]


@lru_cache(maxsize=CONSTRAINT_CACHE_SIZE)
def _parse_requirement(text: str) -> VersionSet:
    if not text.strip():
        raise InvalidConstraint(f"{text!r} is not a valid Elixir requirement: it is empty")
    return any_of(
        all_of(_clause(clause, text) for clause in _AND.split(group))
        for group in _OR.split(text.strip())
    )


class HexScheme(VersionScheme):
    name = "Hex"

    def parse(self, version: str) -> SemverKey:
        return parse_semver(version, ecosystem="Hex")

    def parse_constraint(self, constraint: str) -> VersionSet:
        constraint = constraint_text(constraint, self.name)
        return _parse_requirement(constraint)
