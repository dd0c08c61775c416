"""Packagist: Composer's version normalization and ordering, and its constraint syntax.

Versions normalize as Composer's VersionParser does (https://getcomposer.org/doc/articles/
versions.md): an optional 'v', up to four numeric parts padded to four (1.2 -> 1.2.0.0), or a
date version (2010-01-02 -> 2010.01.02), then a stability suffix (a/alpha, b/beta, RC, p/pl/
patch, each with an optional number) and/or -dev; build metadata (+...) is dropped; numeric
branches ("2.1.x-dev") normalize to 2.1.9999999.9999999-dev. Normalized versions order as PHP's
version_compare orders them: dev < alpha < beta < RC < a number < patch, and a missing part sorts
between a stability and a number (1.0.0.0-beta1 < 1.0.0.0 < 1.0.0.0-patch1). Named branches
(dev-main) are not orderable.

Constraints follow Composer's parser: `||` or `|` for OR, ',' or space for AND, `^` and `~`,
wildcards (1.0.*), hyphen ranges (1.0 - 2.0), comparison operators and `!=`, stability flags
(@dev, ignored for the range except where Composer folds them into a bound), and Composer's
implicit -dev on bounds (`>=1.0` starts at 1.0.0.0-dev, `<2.0` stops before 2.0.0.0-dev).
"""

from __future__ import annotations

import re
from functools import lru_cache

from deeptracy.versions._sets import EVERYTHING, all_of, any_of, at_least, at_most, exactly
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

_MODIFIER = (
    r"[._-]?(?:(?P<stability>stable|beta|b|RC|alpha|a|patch|pl|p)"
    r"(?P<number>(?:[.-]?\d+)*+)?)?(?P<dev>[.-]?dev)?"
)
_CLASSICAL = re.compile(
    rf"v?(?P<M>\d{{1,5}})(?P<m>\.\d++)?(?P<p>\.\d++)?(?P<b>\.\d++)?{_MODIFIER}", re.IGNORECASE
)
_DATE = re.compile(
    rf"v?(?P<date>\d{{4}}(?:[.:-]?\d{{2}}){{1,6}}(?:[.:-]?\d{{1,3}})?){_MODIFIER}", re.IGNORECASE
)
_BRANCH = re.compile(r"v?(\d++)(\.(?:\d++|[xX*]))?(\.(?:\d++|[xX*]))?(\.(?:\d++|[xX*]))?")
_BUILD = re.compile(r"([^,\s+]++)\+[^\s]++")
_ALIAS = re.compile(r"([^,\s]++) ++as ++([^,\s]++)")
_FLAG = re.compile(r"@(?:stable|RC|beta|alpha|dev)$", re.IGNORECASE)
_EXPAND = {"a": "alpha", "b": "beta", "p": "patch", "pl": "patch", "rc": "RC"}
_TOKEN = re.compile(r"\d+|[^\d.]+")
# version_compare's special forms, matched by prefix in this order (so "patch" is "p"); an
# unknown string is -1, a number "#" (4), and the end of a version sorts just below a number.
_FORMS: tuple[tuple[str, int], ...] = (
    *(("dev", 0), ("alpha", 1), ("a", 1), ("beta", 2), ("b", 2), ("RC", 3), ("rc", 3)),
    *(("pl", 5), ("p", 5)),
)
_END = (4, -1)

PackagistKey = tuple[tuple[int, int], ...]


def _expand(stability: str) -> str:
    lowered = stability.lower()
    return _EXPAND.get(lowered, lowered)


def normalize(version: str) -> str:
    """Composer's VersionParser::normalize; raises ValueError with Composer's reason."""
    text = version.strip()
    alias = _ALIAS.fullmatch(text)
    if alias:
        text = alias[1]
    flag = _FLAG.search(text)
    if flag:
        text = text[: flag.start()]
    if text in ("master", "trunk", "default"):
        text = "dev-" + text
    if text.lower().startswith("dev-"):
        return "dev-" + text[4:]
    build = _BUILD.fullmatch(text)
    if build:
        text = build[1]
    match = _CLASSICAL.fullmatch(text)
    if match:
        normalized = match["M"] + "".join(match[g] or ".0" for g in ("m", "p", "b"))
    else:
        match = _DATE.fullmatch(text)
        if match:
            normalized = re.sub(r"\D", ".", match["date"])
    if match:
        stability = match["stability"]
        if stability:
            if stability.lower() == "stable":
                return normalized
            number = (match["number"] or "").lstrip(".-")
            normalized += f"-{_expand(stability)}{number}"
        if match["dev"]:
            normalized += "-dev"
        return normalized
    dev = re.fullmatch(r"(.*?)[.-]?dev", text, re.IGNORECASE)
    if dev:
        branch = _BRANCH.fullmatch(dev[1].strip())
        if branch:
            parts = [branch[i] if branch[i] is not None else ".x" for i in range(1, 5)]
            return re.sub("[xX*]", "9999999", "".join(parts)) + "-dev"
    raise ValueError(f"invalid version string {version!r}")


def _form(token: str) -> int:
    return next((order for name, order in _FORMS if token.startswith(name)), -1)


def _key(normalized: str) -> PackagistKey:
    out: list[tuple[int, int]] = []
    for token in _TOKEN.findall(normalized.replace("-", ".")):
        out.append((4, int(token)) if token.isdigit() else (_form(token), 0))
    out.append(_END)
    return tuple(out)


@lru_cache(maxsize=PARSE_CACHE_SIZE)
def _parse(version: str) -> PackagistKey:
    try:
        normalized = normalize(version)
    except ValueError as exc:
        raise InvalidVersion(f"{version!r} is not a valid Composer version: {exc}") from None
    if normalized.startswith("dev-"):
        raise InvalidVersion(
            f"{version!r} is a Composer branch ({normalized}), which has no place in the "
            "version order"
        )
    return _key(normalized)


def _stability(version: str) -> str:
    """Composer's VersionParser::parseStability (only the stable/unstable split matters)."""
    lowered = version.lower()
    if lowered.startswith("dev-") or lowered.endswith("-dev"):
        return "dev"
    match = re.search(rf"{_MODIFIER}(?:\+.*)?$", lowered, re.IGNORECASE)
    if match and match["dev"]:
        return "dev"
    if match and match["stability"] in ("beta", "b", "alpha", "a", "rc"):
        return "unstable"
    return "stable"


# A version inside a constraint, with the parts the operators look at.
_PART = rf"""v?(?P<M>\d++)(?:\.(?P<m>\d++))?(?:\.(?P<p>\d++))?(?:\.(?P<b>\d++))?
    (?:{_MODIFIER}|\.(?P<xdev>[xX*][.-]?dev))(?:\+[^\s]+)?"""
_TILDE = re.compile(rf"~>?{_PART}", re.IGNORECASE | re.VERBOSE)
_CARET = re.compile(rf"\^{_PART}", re.IGNORECASE | re.VERBOSE)
_WILDCARD = re.compile(r"v?(\d++)(?:\.(\d++))?(?:\.(\d++))?(?:\.[xX*])++")
_HYPHEN = re.compile(r"(?P<low>\S+) +- +(?P<high>\S+)")
_COMPARISON = re.compile(r"(?P<op><>|!=|>=?|<=?|==?)?\s*(?P<version>.*)", re.DOTALL)
# Composer adds -dev to a `<` or `>=` bound unless it already ends in a stability suffix; it
# tests the lower-cased text against its (case-sensitive) modifier pattern, so "-rc1" still
# gets -dev.
_HAS_SUFFIX = re.compile(
    r"-[._-]?(?:(?:stable|beta|b|RC|alpha|a|patch|pl|p)(?:(?:[.-]?\d+)*+)?)?(?:[.-]?dev)?$"
)
_OPERATORS = frozenset({"<>", "!=", ">=", "<=", ">", "<", "==", "=", "~", "^"})


def _numbers(match: re.Match[str]) -> list[int]:
    return [int(match[g] or 0) for g in ("M", "m", "p", "b")]


def _given(match: re.Match[str]) -> int:
    return sum(match[g] is not None for g in ("M", "m", "p", "b"))


def _bumped(numbers: list[int], position: int) -> str:
    """Composer's manipulateVersionString(+1): bump part `position` (1-based), zero the rest."""
    parts = [*numbers[: position - 1], numbers[position - 1] + 1]
    parts += [0] * (4 - len(parts))
    return ".".join(map(str, parts)) + "-dev"


def _padded(numbers: list[int], position: int) -> str:
    parts = [*numbers[:position], *[0] * (4 - position)]
    return ".".join(map(str, parts)) + "-dev"


class _Reader:
    def __init__(self, spec: str) -> None:
        self.spec = spec

    def fail(self, reason: str) -> InvalidConstraint:
        return InvalidConstraint(f"{self.spec!r} is not a valid Composer constraint: {reason}")

    def key(self, version: str) -> PackagistKey:
        try:
            normalized = normalize(version)
        except ValueError as exc:
            raise self.fail(str(exc)) from None
        if normalized.startswith("dev-"):
            raise self.fail(f"{version!r} names a branch ({normalized}), not a version range")
        return _key(normalized)

    def single(self, text: str) -> VersionSet:
        """Composer's parseConstraint for one AND-ed piece."""
        alias = _ALIAS.fullmatch(text)
        if alias:
            text = alias[1]
        flag_stability = ""
        flag = re.fullmatch(r"([^,\s]*?)@(stable|RC|beta|alpha|dev)", text, re.IGNORECASE)
        if flag:
            text = flag[1] or "*"
            flag_stability = "" if flag[2].lower() == "stable" else flag[2]
        ref = re.fullmatch(r"(dev-[^,\s@]+?|[^,\s@]+?\.x-dev)#.+", text, re.IGNORECASE)
        if ref:
            text = ref[1]
        if re.fullmatch(r"v?[xX*](?:\.[xX*])*", text):
            return EVERYTHING
        if text.lower().startswith("dev-"):
            raise self.fail(f"{text!r} names a branch, not a version range")
        if match := _TILDE.fullmatch(text):
            return self.tilde(text, match)
        if match := _CARET.fullmatch(text):
            return self.caret(text, match)
        if match := _WILDCARD.fullmatch(text):
            numbers = [int(g or 0) for g in match.groups()] + [0]
            position = sum(g is not None for g in match.groups())
            return all_of(
                [
                    at_least(_key(_padded(numbers, position))),
                    at_most(_key(_bumped(numbers, position)), inclusive=False),
                ]
            )
        if match := _HYPHEN.fullmatch(text):
            return self.hyphen(match)
        return self.comparison(text, flag_stability)

    def tilde(self, text: str, match: re.Match[str]) -> VersionSet:
        if text.startswith("~>"):
            raise self.fail("'~>' is not a Composer operator (Composer's tilde is '~')")
        position = _given(match) + (1 if match["xdev"] else 0)
        suffix = "" if match["stability"] or match["dev"] or match["xdev"] else "-dev"
        low = self.key(text[1:] + suffix)
        high = _key(_bumped(_numbers(match), max(1, position - 1)))
        return all_of([at_least(low), at_most(high, inclusive=False)])

    def caret(self, text: str, match: re.Match[str]) -> VersionSet:
        if match["M"] != "0" or match["m"] is None:
            position = 1
        elif match["m"] != "0" or match["p"] is None:
            position = 2
        else:
            position = 3
        suffix = "" if match["stability"] or match["dev"] or match["xdev"] else "-dev"
        low = self.key(text[1:] + suffix)
        high = _key(_bumped(_numbers(match), position))
        return all_of([at_least(low), at_most(high, inclusive=False)])

    def hyphen(self, match: re.Match[str]) -> VersionSet:
        low_match = re.fullmatch(_PART, match["low"], re.IGNORECASE | re.VERBOSE)
        high_match = re.fullmatch(_PART, match["high"], re.IGNORECASE | re.VERBOSE)
        if low_match is None or high_match is None:
            raise self.fail("both ends of a hyphen range must be versions")
        unstable = low_match["stability"] or low_match["dev"] or low_match["xdev"]
        low = self.key(match["low"] + ("" if unstable else "-dev"))
        if (
            (high_match["m"] is not None and high_match["p"] is not None)
            or high_match["stability"]
            or high_match["dev"]
            or high_match["xdev"]
        ):
            return all_of([at_least(low), at_most(self.key(match["high"]))])
        self.key(match["high"])  # validated, as Composer does
        position = 1 if high_match["m"] is None else 2
        high = _key(_bumped(_numbers(high_match), position))
        return all_of([at_least(low), at_most(high, inclusive=False)])

    def comparison(self, text: str, flag_stability: str) -> VersionSet:
        match = _COMPARISON.fullmatch(text)
        assert match is not None  # every string matches: the operator is optional
        op, version = match["op"] or "=", match["version"]
        try:
            normalized = normalize(version)
        except ValueError as exc:
            if version.endswith("-dev") and re.fullmatch(r"[0-9a-zA-Z./-]+", version):
                raise self.fail(f"{version!r} names a branch, not a version range") from None
            raise self.fail(str(exc)) from None
        if normalized.startswith("dev-"):
            raise self.fail(f"{version!r} names a branch ({normalized}), not a version range")
        if op not in ("==", "=") and flag_stability and _stability(normalized) == "stable":
            normalized += "-" + flag_stability
        elif op in ("<", ">=") and not _HAS_SUFFIX.search(version.lower()):
            normalized += "-dev"
        key = _key(normalized)
        if op in ("!=", "<>"):
            return exactly(key).complement()
        return {
            "=": exactly(key),
            "==": exactly(key),
            ">": at_least(key, inclusive=False),
            ">=": at_least(key),
            "<": at_most(key, inclusive=False),
            "<=": at_most(key),
        }[op]


def _and_pieces(group: str) -> list[str]:
    """Split an OR-group on ',' and spaces, keeping "op version", "a - b" and "a as b"."""
    words = [w for w in re.split(r"[\s,]+", group) if w]
    pieces: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        if word in _OPERATORS and i + 1 < len(words):
            pieces.append(word + words[i + 1])
            i += 2
        elif i + 2 < len(words) and words[i + 1] in ("-", "as"):
            pieces.append(f"{word} {words[i + 1]} {words[i + 2]}")
            i += 3
        else:
            pieces.append(word)
            i += 1
    return pieces


@lru_cache(maxsize=CONSTRAINT_CACHE_SIZE)
def _parse_constraint(spec: str) -> VersionSet:
    reader = _Reader(spec)
    if not spec.strip():
        raise reader.fail("it is empty")
    groups = re.split(r"\s*\|\|?\s*", spec.strip())
    return any_of(all_of(reader.single(piece) for piece in _and_pieces(g)) for g in groups)


class PackagistScheme(VersionScheme):
    name = "Packagist"

    def parse(self, version: str) -> PackagistKey:
        version = version_text(version, self.name)
        return _parse(version.strip())

    def parse_constraint(self, constraint: str) -> VersionSet:
        constraint = constraint_text(constraint, self.name)
        return _parse_constraint(constraint)
