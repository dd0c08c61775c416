"""Pub (Dart): pub_semver's ordering and version constraints (https://pub.dev/packages/pub_semver).

Ordering is SemVer's with two differences taken from pub_semver: build metadata is ordered
(1.0.0 < 1.0.0+1 < 1.0.0+2, a version without build first), and identifiers that Dart's
int.tryParse reads as integers ("01", "-1", "0x1f") compare as numbers. Versions have exactly
three parts; the one exception is OSV's "0" (introduced at the beginning), read as 0.0.0.

Constraints: `any`, `^1.2.3` (below 1.0.0 the caret only spans the minor: ^0.2.3 is
>=0.2.3 <0.3.0), a bare version (exactly that version) and space-separated comparisons
(`>=1.0.0 <2.0.0`). As in pub_semver, an exclusive upper bound on a release also excludes that
release's pre-releases (<2.0.0 stops before 2.0.0-0) unless the lower bound is a pre-release of
the same version.
"""

from __future__ import annotations

import re
from functools import lru_cache

from deeptracy.versions._sets import EVERYTHING, NOTHING, between, exactly
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

_ID = r"[0-9A-Za-z-]+"
_VERSION = re.compile(
    rf"(?P<M>\d+)\.(?P<m>\d+)\.(?P<p>\d+)"
    rf"(?:-(?P<pre>{_ID}(?:\.{_ID})*))?(?:\+(?P<build>{_ID}(?:\.{_ID})*))?"
)
_START_OPERATOR = re.compile(r"[<>]=?")
_INT64 = 1 << 63
RULE = "MAJOR.MINOR.PATCH with optional -PRERELEASE and +BUILD"

PubKey = tuple[int, int, int, tuple[object, ...], tuple[object, ...]]


def _dart_int(part: str) -> int | None:
    """The value Dart's int.tryParse gives an identifier, or None (it stays a string)."""
    negative = part.startswith("-")
    digits = part[1:] if negative else part
    if digits.isdigit() and digits.isascii():
        value = int(digits)
        if value >= _INT64 + negative:
            return None
    elif digits[:2] in ("0x", "0X") and re.fullmatch(r"[0-9A-Fa-f]+", digits[2:]):
        value = int(digits[2:], 16)
        if value >= 1 << 64:
            return None
        if value >= _INT64:
            value -= 1 << 64  # the VM reads 64-bit hex literals as two's complement
    else:
        return None
    return -value if negative else value


def _parts(text: str) -> tuple[object, ...]:
    # Numbers come before strings, as in pub_semver's _compareLists.
    out: list[tuple[int, int | str]] = []
    for part in text.split("."):
        number = _dart_int(part)
        out.append((1, part) if number is None else (0, number))
    return tuple(out)


def _key(match: re.Match[str], version: str) -> PubKey:
    numbers = [int(match[name]) for name in ("M", "m", "p")]
    if any(n >= _INT64 for n in numbers):
        raise InvalidVersion(f"{version!r} is not a valid Pub version: a part exceeds 64 bits")
    pre = (1,) if match["pre"] is None else (0, _parts(match["pre"]))
    build = (0,) if match["build"] is None else (1, _parts(match["build"]))
    return (numbers[0], numbers[1], numbers[2], pre, build)


@lru_cache(maxsize=PARSE_CACHE_SIZE)
def _parse(version: str) -> PubKey:
    match = _VERSION.fullmatch("0.0.0" if version == "0" else version)
    if match is None:
        raise InvalidVersion(f"{version!r} is not a valid Pub version ({RULE})")
    return _key(match, version)


def _first_prerelease(key: PubKey) -> PubKey:
    return (key[0], key[1], key[2], (0, ((0, 0),)), (0,))


def _is_prerelease(key: PubKey) -> bool:
    return key[3] != (1,)


def _next_breaking(key: PubKey) -> PubKey:
    major, minor = key[0], key[1]
    if major == 0:
        return (0, minor + 1, 0, (1,), (0,))
    return (major + 1, 0, 0, (1,), (0,))


def _scan_version(text: str, original: str) -> tuple[PubKey, str] | None:
    match = _VERSION.match(text)
    if match is None:
        return None
    try:
        return _key(match, original), text[match.end() :]
    except InvalidVersion as exc:
        raise InvalidConstraint(str(exc)) from None


def _constraint(original: str) -> VersionSet:
    text = original.strip()
    if text == "any":
        return EVERYTHING
    if text.startswith("^"):
        scanned = _scan_version(text[1:].strip(), original)
        if scanned is None:
            raise InvalidConstraint(f"{original!r}: expected a version after '^'")
        version, rest = scanned
        if rest.strip():
            raise InvalidConstraint(
                f"{original!r}: a '^' constraint cannot be combined with other constraints"
            )
        return between(version, _first_prerelease(_next_breaking(version)))
    lower: tuple[PubKey, bool] | None = None
    upper: tuple[PubKey, bool] | None = None
    while text := text.strip():
        operator = _START_OPERATOR.match(text)
        op = operator[0] if operator else ""
        scanned = _scan_version(text[len(op) :].strip(), original)
        if scanned is None:
            what = f"a version after {op!r}" if op else "a version or a comparison"
            raise InvalidConstraint(f"{original!r}: expected {what} at {text!r}")
        version, text = scanned
        if op in ("", ">", ">="):
            candidate = (version, op != ">")
            if lower is None or version > lower[0] or (version == lower[0] and not candidate[1]):
                lower = candidate
        if op in ("", "<", "<="):
            candidate = (version, op != "<")
            if upper is None or version < upper[0] or (version == upper[0] and not candidate[1]):
                upper = candidate
    if lower is None and upper is None:
        raise InvalidConstraint(f"{original!r} is not a Pub constraint: it is empty")
    if lower is not None and upper is not None:
        if upper[0] < lower[0]:
            return NOTHING
        if lower[0] == upper[0]:
            return exactly(lower[0]) if lower[1] and upper[1] else NOTHING
    if upper is not None and not upper[1] and not _is_prerelease(upper[0]):
        same_release = lower is not None and upper[0][:3] == lower[0][:3]
        no_build = upper[0][4] == (0,)
        if no_build and not (lower is not None and _is_prerelease(lower[0]) and same_release):
            upper = (_first_prerelease(upper[0]), False)
    return between(
        None if lower is None else lower[0],
        None if upper is None else upper[0],
        lower_inclusive=True if lower is None else lower[1],
        upper_inclusive=False if upper is None else upper[1],
    )


@lru_cache(maxsize=CONSTRAINT_CACHE_SIZE)
def _parse_constraint(text: str) -> VersionSet:
    return _constraint(text)


class PubScheme(VersionScheme):
    name = "Pub"

    def parse(self, version: str) -> PubKey:
        version = version_text(version, self.name)
        return _parse(version.strip())

    def parse_constraint(self, constraint: str) -> VersionSet:
        constraint = constraint_text(constraint, self.name)
        return _parse_constraint(constraint)
