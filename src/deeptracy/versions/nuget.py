"""NuGet: NuGet.Versioning's order and version ranges.

Versions have one to four numeric parts (Major.Minor.Patch.Revision, missing parts are 0, each
at most 2^31-1, leading zeros allowed), then SemVer 2.0 release labels compared part by part:
numeric labels (those Int32.TryParse reads) before alphanumeric ones, which compare without
case; metadata after '+' is ignored. So 1.0 == 1.0.0.0 and 1.0.0-RC1 == 1.0.0-rc1.

Ranges (https://learn.microsoft.com/nuget/concepts/package-versioning#version-ranges): a bare
version is a minimum (1.0 means >= 1.0), interval notation as Maven's ([1.0], (1.0,),
[1.0,2.0)), and floating versions read as the band they float over: 1.* is every 1.x, 1.0.* every
1.0.x, 1.0.0-* the pre-releases of 1.0.0 and 1.0.0 itself, 1.*-* every 1.x including
pre-releases, * and *-* everything. A float's release-label prefix (1.0.0-rc.*) is not narrowed:
the band admits all pre-releases of that version.
"""

from __future__ import annotations

import re
from functools import lru_cache

from deeptracy.versions._sets import EVERYTHING, all_of, at_least, between
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

_LABEL = r"[0-9A-Za-z-]+"
_VERSION = re.compile(
    rf"(?P<numbers>\d+(?:\.\d+){{0,3}})"
    rf"(?:-(?P<labels>{_LABEL}(?:\.{_LABEL})*))?(?:\+{_LABEL}(?:\.{_LABEL})*)?"
)
_INT32 = 2**31 - 1
_NUMERIC_LABEL = re.compile(r"-?\d+")
RULE = "one to four numeric parts, optional -LABELS and +METADATA"

NugetKey = tuple[int, int, int, int, tuple[object, ...]]


def _label_key(label: str) -> tuple[int, int | str]:
    if _NUMERIC_LABEL.fullmatch(label) and -_INT32 - 1 <= int(label) <= _INT32:
        return (0, int(label))
    return (1, label.upper())  # OrdinalIgnoreCase


@lru_cache(maxsize=PARSE_CACHE_SIZE)
def _parse(version: str) -> NugetKey:
    match = _VERSION.fullmatch(version)
    if match is None:
        raise InvalidVersion(f"{version!r} is not a valid NuGet version ({RULE})")
    numbers = [int(part) for part in match["numbers"].split(".")]
    if any(n > _INT32 for n in numbers):
        raise InvalidVersion(
            f"{version!r} is not a valid NuGet version: a numeric part exceeds 2147483647"
        )
    numbers += [0] * (4 - len(numbers))
    labels = match["labels"]
    if labels is None:
        return (numbers[0], numbers[1], numbers[2], numbers[3], (1,))
    parts = labels.split(".")
    for part in parts:
        if len(part) > 1 and part.isdigit() and part[0] == "0":
            raise InvalidVersion(
                f"{version!r} is not a valid NuGet version: numeric label {part!r} has a "
                "leading zero"
            )
    return (numbers[0], numbers[1], numbers[2], numbers[3], (0, tuple(map(_label_key, parts))))


def _floor(numbers: list[int]) -> NugetKey:
    """Below every pre-release of these numbers."""
    padded = numbers + [0] * (4 - len(numbers))
    return (padded[0], padded[1], padded[2], padded[3], (0, ()))


def _bump(numbers: list[int]) -> list[int]:
    return [*numbers[:-1], numbers[-1] + 1]


class NugetScheme(VersionScheme):
    name = "NuGet"

    def parse(self, version: str) -> NugetKey:
        version = version_text(version, self.name)
        return _parse(version.strip())

    def parse_constraint(self, constraint: str) -> VersionSet:
        constraint = constraint_text(constraint, self.name)
        return _parse_range(constraint, self)

    def version_in(self, text: str, spec: str) -> NugetKey:
        try:
            return self.parse(text)
        except InvalidVersion as exc:
            raise InvalidConstraint(f"{spec!r}: {exc}") from None

    def floating(self, text: str, spec: str) -> tuple[NugetKey, VersionSet]:
        """A floating version's minimum and the band it floats over."""
        if text in ("*", "*-*"):
            return _floor([0]), EVERYTHING
        stable, dash, label = text.partition("-")
        if dash and label.endswith("*") and "*" not in label[:-1]:
            if stable.endswith("*"):
                numbers = self._float_numbers(stable, spec)  # "1.*-*": stable and pre-releases
                if not numbers:
                    return _floor([0]), EVERYTHING
                return _floor(numbers), between(_floor(numbers), _floor(_bump(numbers)))
            key = self.version_in(stable, spec)  # "1.0.0-*", "1.0.0-rc.*"
            low = _floor(list(key[:4]))
            return low, between(low, (*key[:4], (1,)), upper_inclusive=True)
        if not dash and stable.endswith("*"):
            numbers = self._float_numbers(stable, spec)
            if numbers:
                low = (*_floor(numbers)[:4], (1,))
                return low, between(low, _floor(_bump(numbers)))
        raise InvalidConstraint(
            f"{spec!r}: {text!r} is not a floating version (1.*, 1.0.*, 1.0.0-*, 1.*-*, *)"
        )

    def _float_numbers(self, stable: str, spec: str) -> list[int]:
        """The fixed numeric parts before a trailing '.*' ("1.2.*" -> [1, 2])."""
        if stable == "*":
            return []
        if not re.fullmatch(r"\d+(?:\.\d+){0,2}\.\*", stable):
            raise InvalidConstraint(f"{spec!r}: {stable!r} is not a floating version")
        return [int(part) for part in stable[:-2].split(".")]


def _bound(text: str, spec: str, scheme: NugetScheme) -> tuple[NugetKey, VersionSet | None]:
    if "*" in text:
        return scheme.floating(text, spec)
    return scheme.version_in(text, spec), None


@lru_cache(maxsize=CONSTRAINT_CACHE_SIZE)
def _parse_range(spec: str, scheme: NugetScheme) -> VersionSet:
    text = spec.strip()
    if not text:
        raise InvalidConstraint(f"{spec!r} is not a NuGet version range: it is empty")
    if text[0] not in "[(":
        minimum, band = _bound(text, spec, scheme)
        return at_least(minimum) if band is None else band.intersect(at_least(minimum))
    return _interval(text, spec, scheme)


def _interval(text: str, spec: str, scheme: NugetScheme) -> VersionSet:
    if text[-1] not in "])":
        raise InvalidConstraint(f"{spec!r}: an interval must end with ']' or ')'")
    lower_inclusive, upper_inclusive = text[0] == "[", text[-1] == "]"
    parts = [part.strip() for part in text[1:-1].split(",")]
    if len(parts) > 2 or not any(parts):
        raise InvalidConstraint(f"{spec!r}: an interval holds one version or two bounds")
    if len(parts) == 1 and not (lower_inclusive and upper_inclusive):
        raise InvalidConstraint(f"{spec!r}: a single version must be written [1.0]")
    low_text, high_text = parts[0], parts[-1]
    sets: list[VersionSet] = []
    low: NugetKey | None = None
    high: NugetKey | None = None
    if low_text:
        low, band = _bound(low_text, spec, scheme)
        sets.append(at_least(low, inclusive=lower_inclusive))
        if band is not None:
            sets.append(band)
    if high_text:
        if "*" in high_text:
            raise InvalidConstraint(f"{spec!r}: the upper bound cannot float")
        high = scheme.version_in(high_text, spec)
        sets.append(between(None, high, upper_inclusive=upper_inclusive))
    reversed_bounds = low is not None and high is not None and high < low
    touching = low is not None and low == high and lower_inclusive != upper_inclusive
    if reversed_bounds or touching:
        raise InvalidConstraint(f"{spec!r}: the interval is empty (its bounds are reversed)")
    return all_of(sets)
