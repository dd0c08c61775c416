"""RubyGems: Gem::Version ordering and Gem::Requirement lists.

A version is digits, then '.'-separated alphanumeric segments, then an optional '-' part that
Gem::Version rewrites to ".pre.". Segments split on '.' and on digit/letter boundaries; any
letter makes a pre-release, and string segments sort before numeric ones, so 1.0.a < 1.0 <
1.0.1. Comparison uses the canonical segments of current RubyGems: trailing zero segments are
dropped (1.0 == 1) and, in a pre-release, the zero segments before the first letter too
(1.0.a == 1.a); missing segments compare as 0. Platform suffixes (-x86_64-linux) are not part of
the version; the inventory strips them.

Requirements: comma-separated `op version` pairs with =, !=, >, <, >=, <= and ~> (a bare
version means =). `~> 2.1` is >= 2.1 and < 3, `~> 2.1.3` is >= 2.1.3 and < 2.2: the upper bound
also excludes the pre-releases of 3 (Gem compares the candidate's release part).
"""

from __future__ import annotations

import re
from functools import lru_cache

from deeptracy.versions._sets import EVERYTHING, all_of, at_least, at_most, between, exactly
from deeptracy.versions.interface import (
    CONSTRAINT_CACHE_SIZE,
    PARSE_CACHE_SIZE,
    InvalidConstraint,
    InvalidVersion,
    VersionScheme,
    constraint_text,
    version_text,
)
from deeptracy.versions.intervals import VersionSet

_PATTERN = r"[0-9]+(?:\.[0-9a-zA-Z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?"
_VERSION = re.compile(_PATTERN)
_REQUIREMENT = re.compile(rf"\s*(?P<op>=|!=|>=|<=|>|<|~>)?\s*(?P<version>{_PATTERN})\s*")
_SEGMENT = re.compile(r"\d+|[a-zA-Z]+")
_TRAILING_ZEROS = re.compile(r"(?<=[a-zA-Z.])[.0]+\Z")
_ZEROS_BEFORE_LETTER = re.compile(r"(?:(?<=\.)|^)[0.]+(?=[a-zA-Z])")
RULE = "digits, then '.'-separated letters or digits, optionally a '-' pre-release part"

# Segment encodings: strings < a zero followed by a string < the padding of a shorter version
# < a zero followed by a number < positive numbers. A zero's place depends on what follows it
# because Gem pads the shorter version with zeros.
_END = (1, 0)
RubyKey = tuple[tuple[int, int | str], ...]


def _segments(text: str) -> list[int | str]:
    return [int(s) if s[0].isdigit() else s for s in _SEGMENT.findall(text)]


def _canonical(version: str) -> list[int | str]:
    text = _TRAILING_ZEROS.sub("", version, count=1)
    if re.search(r"[a-zA-Z]", version):
        text = _ZEROS_BEFORE_LETTER.sub("", text, count=1)
    segments = _segments(text)
    while segments and segments[-1] == 0:
        segments.pop()  # "0" itself keeps its segment; padding makes it equal to nothing
    return segments


def _encode(segments: list[int | str], *, end: bool = True) -> RubyKey:
    out: list[tuple[int, int | str]] = []
    following = 0  # 1: the next non-zero segment is a number, -1: a string
    for segment in reversed(segments):
        if isinstance(segment, str):
            out.append((0, segment))
            following = -1
        elif segment:
            out.append((2, segment))
            following = 1
        else:
            out.append((1, following))
    out.reverse()
    if end:
        out.append(_END)
    return tuple(out)


@lru_cache(maxsize=PARSE_CACHE_SIZE)
def _parse(version: str) -> RubyKey:
    if not _VERSION.fullmatch(version):
        raise InvalidVersion(f"{version!r} is not a valid RubyGems version ({RULE})")
    return _encode(_canonical(version.replace("-", ".pre.")))


def _release_floor(segments: list[int]) -> RubyKey:
    """Below every version whose release part (segments before the first letter) is this."""
    return (*_encode(list(segments), end=False), (0, ""))


def _bump(version: str) -> list[int]:
    """Gem::Version#bump: drop string segments and the last number, increment the new last."""
    segments = _segments(version.replace("-", ".pre."))
    while any(isinstance(s, str) for s in segments):
        segments.pop()
    numbers = [s for s in segments if isinstance(s, int)]
    if len(numbers) > 1:
        numbers.pop()
    numbers[-1] += 1
    while len(numbers) > 1 and numbers[-1] == 0:
        numbers.pop()
    return numbers


def _requirement(text: str, whole: str) -> VersionSet:
    match = _REQUIREMENT.fullmatch(text)
    if match is None:
        raise InvalidConstraint(
            f"{whole!r} is not a valid RubyGems requirement: {text.strip()!r} is not an "
            "operator (=, !=, >, >=, <, <=, ~>) followed by a version"
        )
    op, version = match["op"] or "=", match["version"]
    key = _parse(version)
    if op == "~>":
        return between(key, _release_floor(_bump(version)))
    if op == "!=":
        return exactly(key).complement()
    return {
        "=": exactly(key),
        ">": at_least(key, inclusive=False),
        ">=": at_least(key),
        "<": at_most(key, inclusive=False),
        "<=": at_most(key),
    }[op]


@lru_cache(maxsize=CONSTRAINT_CACHE_SIZE)
def _parse_requirement(text: str) -> VersionSet:
    if not text.strip():
        return EVERYTHING  # Gem::Requirement.default is ">= 0"
    return all_of(_requirement(part, text) for part in text.split(","))


class RubyGemsScheme(VersionScheme):
    name = "RubyGems"

    def parse(self, version: str) -> RubyKey:
        version = version_text(version, self.name)
        return _parse(version.strip())

    def parse_constraint(self, constraint: str) -> VersionSet:
        constraint = constraint_text(constraint, self.name)
        return _parse_requirement(constraint)
