"""PyPI: PEP 440 versions and specifiers (https://packaging.python.org/en/latest/specifications/
version-specifiers/).

`packaging`, the implementation pip uses, parses versions and specifiers. Ordering keys are built
from its parsed parts by PEP 440's ordering rules, so that ranges can also use bounds no version
spells: below all of a release's variants (before 1.0.dev0), after a version's local variants
(1.0+anything), after a whole release family (1.0, its pre-, post- and local versions).

A specifier set admits what `SpecifierSet.contains(v, prereleases=True)` admits: pre-release
filtering is not modelled, but the operators' own rules are (==1.0 admits 1.0+local, <1.0 never
admits 1.0's pre-releases, >1.0 never admits 1.0's post-releases or local versions). Deliberate
deviations, where the exact set is not a finite union of intervals: `===` is read as `==` of the
parsed version (packaging compares the strings); `>V` for a pre-, dev- or post-release V admits
local versions (and post-releases of pre-releases) of V's release that packaging refuses; `<V`
for a post-release V above .post100 admits V's release's dev post-releases below V.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from packaging.specifiers import InvalidSpecifier, Specifier, SpecifierSet
from packaging.version import InvalidVersion as _PackagingInvalid
from packaging.version import Version

from deeptracy.versions._sets import (
    EVERYTHING,
    NOTHING,
    all_of,
    any_of,
    at_least,
    at_most,
    between,
    exactly,
)
from deeptracy.versions.interface import InvalidConstraint, InvalidVersion, VersionScheme
from deeptracy.versions.intervals import VersionSet

# (epoch, release without trailing zeros, pre, post, dev, local), as PEP 440 orders them:
# 1.0.dev0 < 1.0a1.dev0 < 1.0a1 < 1.0a1.post1 < 1.0b1 < 1.0rc1 < 1.0 < 1.0+local < 1.0.post1.dev0
# < 1.0.post1. pre is (-1,) for a dev release without pre/post, (3,) for none, (0|1|2, n) for
# a/b/rc n; post -1 for none; dev (1,) for none, (0, n) for devN; local () for none, else its
# parts with numbers (1, n) above strings (0, s).
Pep440Key = tuple[Any, ...]
_LETTER = {"a": 0, "b": 1, "rc": 2}
_FAMILY_FLOOR = (-2,)  # a pre value below every real one
_FAMILY_CEILING = (4,)  # a pre value above every real one
_AFTER_LOCALS = ((2,),)  # a local value above every real one
_EXACT_POST_LIMIT = 100


def key_of(version: Version) -> Pep440Key:
    release = list(version.release)
    while len(release) > 1 and release[-1] == 0:
        release.pop()
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
    return (version.epoch, tuple(release), pre, post, dev, local)


@lru_cache(maxsize=65536)
def _parse(version: str) -> Pep440Key:
    try:
        return key_of(Version(version))
    except _PackagingInvalid:
        raise InvalidVersion(f"{version!r} is not a valid PEP 440 version") from None


def _trim(release: tuple[int, ...]) -> tuple[int, ...]:
    trimmed = list(release)
    while len(trimmed) > 1 and trimmed[-1] == 0:
        trimmed.pop()
    return tuple(trimmed)


def _family(epoch: int, release: tuple[int, ...], pre: tuple[int, ...]) -> Pep440Key:
    """A bound against every version of one epoch and release (the pre slot decides where)."""
    return (epoch, _trim(release), pre)


def _prefix_band(epoch: int, prefix: tuple[int, ...]) -> VersionSet:
    """Every version whose (zero-padded) release starts with `prefix`: ==prefix.*."""
    after = (*prefix[:-1], prefix[-1] + 1)
    return between(_family(epoch, prefix, _FAMILY_FLOOR), _family(epoch, after, _FAMILY_FLOOR))


def _after_locals(version: Version) -> Pep440Key:
    return (*key_of(version)[:5], _AFTER_LOCALS)


def _below(version: Version) -> VersionSet:
    """<V: below V, never a pre-release of V's release unless V is one."""
    if version.is_prerelease:
        return at_most(key_of(version), inclusive=False)
    release_floor = _family(version.epoch, version.release, _FAMILY_FLOOR)
    pieces = [at_most(release_floor, inclusive=False)]
    base = Version(version.base_version)
    if version.post is not None and version.post <= _EXACT_POST_LIMIT:
        # Between the release and V only the post-releases' dev releases are pre-releases.
        starts = [key_of(base)] + [key_of(Version(f"{base}.post{n}")) for n in range(version.post)]
        for n, start in enumerate(starts):
            pieces.append(between(start, key_of(Version(f"{base}.post{n}.dev0"))))
    elif version.post is not None:
        pieces.append(between(key_of(base), key_of(version)))
    return any_of(pieces)


def _above(version: Version) -> VersionSet:
    """>V: above V, never a post-release or local version of V's release (see docstring)."""
    family_ceiling = _family(version.epoch, version.release, _FAMILY_CEILING)
    if version.is_postrelease:
        return at_least(_after_locals(version))
    if not version.is_prerelease:
        return at_least(family_ceiling)
    base = key_of(Version(version.base_version))
    return any_of(
        [
            between(_after_locals(version), base, upper_inclusive=True),
            at_least(family_ceiling),
        ]
    )


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


@lru_cache(maxsize=4096)
def _parse_constraint(constraint: str) -> VersionSet:
    text = constraint.strip()
    if not text:
        return EVERYTHING
    try:
        specifiers = SpecifierSet(text)
    except InvalidSpecifier as exc:
        raise InvalidConstraint(f"{constraint!r} is not a valid PEP 440 specifier: {exc}") from None
    return all_of(_specifier_set(spec) for spec in specifiers)


class Pep440Scheme(VersionScheme):
    name = "PyPI"

    def parse(self, version: str) -> Pep440Key:
        if not isinstance(version, str):
            raise InvalidVersion(f"{version!r} is not a version string")
        return _parse(version)

    def parse_constraint(self, constraint: str) -> VersionSet:
        if not isinstance(constraint, str):
            raise InvalidConstraint(f"{constraint!r} is not a constraint string")
        return _parse_constraint(constraint)
