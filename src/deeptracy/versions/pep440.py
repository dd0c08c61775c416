"""PyPI: PEP 440 versions and specifiers (https://packaging.python.org/en/latest/specifications/
version-specifiers/).

`packaging`, the implementation pip uses, parses versions and specifiers. Ordering keys are built
from its parsed parts by PEP 440's ordering rules, so that ranges can also use bounds no version
spells: below all of a release's variants (before 1.0.dev0), after a version's local variants
(1.0+anything), after a version's post-releases.

A specifier set admits what `SpecifierSet.contains(v, prereleases=True)` admits in packaging
26.2 and later: pre-release filtering is not modelled, but the operators' own rules are (==1.0
admits 1.0+local; <1.0 stops before 1.0.dev0; >1.0 skips 1.0's post-releases and local
versions, >1.0.post1 only 1.0.post1's local versions). One deliberate deviation: `===` is read
as `==` of the parsed version, where packaging compares the strings (===1.0 refuses 1.0.0).
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Any

from packaging.specifiers import InvalidSpecifier, Specifier, SpecifierSet
from packaging.version import InvalidVersion as _PackagingInvalid
from packaging.version import Version

from deeptracy.versions._sets import (
    EVERYTHING,
    NOTHING,
    all_of,
    at_least,
    at_most,
    between,
    exactly,
)
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

# (epoch, release without trailing zeros, pre, post, dev, local), as PEP 440 orders them:
# 1.0.dev0 < 1.0a1.dev0 < 1.0a1 < 1.0a1.post1 < 1.0b1 < 1.0rc1 < 1.0 < 1.0+local < 1.0.post1.dev0
# < 1.0.post1. pre is (-1,) for a dev release without pre/post, (3,) for none, (0|1|2, n) for
# a/b/rc n; post -1 for none; dev (1,) for none, (0, n) for devN; local () for none, else its
# parts with numbers (1, n) above strings (0, s).
Pep440Key = tuple[Any, ...]
_LETTER = {"a": 0, "b": 1, "rc": 2}
_FAMILY_FLOOR = (-2,)  # a pre value below every real one
_AFTER_POSTS = math.inf  # a post value above every real one
_AFTER_LOCALS = ((2,),)  # a local value above every real one
_FIRST = Version("0.dev0")  # no version sorts below it


def _trim(release: tuple[int, ...]) -> tuple[int, ...]:
    trimmed = list(release)
    while len(trimmed) > 1 and trimmed[-1] == 0:
        trimmed.pop()
    return tuple(trimmed)


def key_of(version: Version) -> Pep440Key:
    if version.pre is None and version.post is None and version.dev is not None:
        pre: tuple[int, ...] = (-1,)
    elif version.pre is None:
        pre = (3,)
    else:
        pre = (_LETTER[version.pre[0]], version.pre[1])
    post = -1 if version.post is None else version.post
    dev = (1,) if version.dev is None else (0, version.dev)
    local: tuple[tuple[int, int | str], ...] = ()
    if version.local is not None:
        local = tuple(
            (1, int(part)) if part.isdigit() else (0, part) for part in version.local.split(".")
        )
    return (version.epoch, _trim(version.release), pre, post, dev, local)


@lru_cache(maxsize=PARSE_CACHE_SIZE)
def _parse(version: str) -> Pep440Key:
    try:
        return key_of(Version(version))
    except _PackagingInvalid:
        raise InvalidVersion(f"{version!r} is not a valid PEP 440 version") from None


def _release_floor(epoch: int, release: tuple[int, ...]) -> Pep440Key:
    """Below every version of one epoch and release (the dev, pre, post and local ones)."""
    return (epoch, _trim(release), _FAMILY_FLOOR)


def _prefix_band(epoch: int, prefix: tuple[int, ...]) -> VersionSet:
    """Every version whose (zero-padded) release starts with `prefix`: ==prefix.*."""
    after = (*prefix[:-1], prefix[-1] + 1)
    return between(_release_floor(epoch, prefix), _release_floor(epoch, after))


def _after_locals(version: Version) -> Pep440Key:
    return (*key_of(version)[:5], _AFTER_LOCALS)


def _below(version: Version) -> VersionSet:
    """<V: below V and, unless V is a pre-release, below V's own pre-releases (V.dev0)."""
    bound = version if version.is_prerelease else Version(f"{version.public}.dev0")
    if bound <= _FIRST:
        return NOTHING
    return at_most(key_of(bound), inclusive=False)


def _above(version: Version) -> VersionSet:
    """>V: above V and V's local versions and, unless V is a post-release, V's post-releases."""
    epoch, release, pre, post = key_of(version)[:4]
    if version.dev is not None:
        return at_least((epoch, release, pre, post, (0, version.dev + 1), ()))
    if version.post is not None:
        return at_least((epoch, release, pre, post + 1, (0, 0), ()))
    return at_least((epoch, release, pre, _AFTER_POSTS), inclusive=False)


def _specifier_set(spec: Specifier) -> VersionSet:
    op, text = spec.operator, spec.version
    if op in ("==", "!=") and text.endswith(".*"):
        base = Version(text[:-2])
        band = _prefix_band(base.epoch, base.release)
        return band if op == "==" else band.complement()
    if op == "===":
        try:
            return exactly(key_of(Version(text)))
        except _PackagingInvalid:
            return NOTHING  # arbitrary equality with a non-PEP 440 string: nothing orders
    version = Version(text)
    if op in ("==", "!="):
        if version.local is not None:
            equal = exactly(key_of(version))
        else:
            equal = between(key_of(version), _after_locals(version))
        return equal if op == "==" else equal.complement()
    if op == ">=":
        return at_least(key_of(version))
    if op == "<=":
        return at_most(_after_locals(version), inclusive=False)
    if op == "<":
        return _below(version)
    if op == ">":
        return _above(version)
    if op == "~=":
        # ~=2.2.1 means >=2.2.1, ==2.2.*
        band = _prefix_band(version.epoch, version.release[:-1])
        return at_least(key_of(version)).intersect(band)
    raise InvalidConstraint(f"unsupported PEP 440 operator {op!r}")  # pragma: no cover


@lru_cache(maxsize=CONSTRAINT_CACHE_SIZE)
def _parse_constraint(constraint: str) -> VersionSet:
    text = constraint.strip()
    if not text:
        return EVERYTHING
    try:
        specifiers = SpecifierSet(text)
    except InvalidSpecifier as exc:
        try:
            return _poetry_constraint(constraint)
        except InvalidConstraint:
            pass
        raise InvalidConstraint(
            f"{constraint!r} is neither a valid PEP 440 specifier ({exc}) nor a Poetry constraint"
        ) from None
    return all_of(_specifier_set(spec) for spec in specifiers)


# Poetry writes requirements in its own syntax (pyproject.toml [tool.poetry.dependencies],
# poetry.lock metadata): ^1.2, ~1.2, 1.2.*, a bare version, "*", AND by "," or space, OR by
# "||". None of these parse as PEP 440, so reading them second cannot change a PEP 440 answer.
_POETRY_CLAUSE = re.compile(r"(?:[<>!=]=?|~=|===)?\s*[^\s,]+")


def _poetry_constraint(constraint: str) -> VersionSet:
    alternatives: list[VersionSet] = []
    for alternative in constraint.split("||"):
        clauses = _POETRY_CLAUSE.findall(alternative.replace(",", " "))
        if not clauses:
            raise InvalidConstraint(f"{constraint!r}: empty alternative in a Poetry constraint")
        alternatives.append(all_of(_poetry_clause(c.replace(" ", ""), constraint) for c in clauses))
    result = NOTHING
    for alternative_set in alternatives:
        result = result.union(alternative_set)
    return result


def _poetry_clause(clause: str, constraint: str) -> VersionSet:
    try:
        if clause == "*":
            return EVERYTHING
        if clause.startswith("^"):
            version = Version(clause[1:])
            release = version.release
            # ^ allows changes that keep the first non-zero part (of those written).
            pivot = next((i for i, part in enumerate(release) if part != 0), len(release) - 1)
            upper = (*release[:pivot], release[pivot] + 1)
            return at_least(key_of(version)).intersect(_below(Version(_dotted(upper))))
        if clause.startswith("~") and not clause.startswith("~="):
            version = Version(clause[1:])
            release = version.release
            # ~1.2.3 and ~1.2 allow patch changes, ~1 minor ones.
            keep = release[:2]
            upper = (*keep[:-1], keep[-1] + 1)
            return at_least(key_of(version)).intersect(_below(Version(_dotted(upper))))
        if clause[0].isdigit() or clause[0] == "v":
            clause = "==" + clause
        return all_of(_specifier_set(spec) for spec in SpecifierSet(clause))
    except (_PackagingInvalid, InvalidSpecifier):
        raise InvalidConstraint(f"{constraint!r}: {clause!r} is not a Poetry clause") from None


def _dotted(release: tuple[int, ...]) -> str:
    return ".".join(str(part) for part in release)


class Pep440Scheme(VersionScheme):
    name = "PyPI"

    def parse(self, version: str) -> Pep440Key:
        version = version_text(version, self.name)
        return _parse(version)

    def parse_constraint(self, constraint: str) -> VersionSet:
        constraint = constraint_text(constraint, self.name)
        return _parse_constraint(constraint)
