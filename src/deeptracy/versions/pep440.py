"""PyPI: PEP 440 versions and specifiers through `packaging`, the implementation pip uses."""

from __future__ import annotations

from functools import lru_cache

from packaging.specifiers import InvalidSpecifier, Specifier, SpecifierSet
from packaging.version import InvalidVersion as _PackagingInvalid
from packaging.version import Version

from deeptracy.versions.interface import InvalidConstraint, InvalidVersion, VersionScheme
from deeptracy.versions.intervals import Interval, VersionSet


@lru_cache(maxsize=65536)
def _parse(version: str) -> Version:
    try:
        return Version(version)
    except _PackagingInvalid:
        raise InvalidVersion(f"{version!r} is not a valid PEP 440 version") from None


class Pep440Scheme(VersionScheme):
    name = "PyPI"

    def parse(self, version: str) -> Version:
        return _parse(version)

    def parse_constraint(self, constraint: str) -> VersionSet:
        text = constraint.strip()
        if not text:
            return VersionSet.everything()
        try:
            specifiers = SpecifierSet(text)
        except InvalidSpecifier as exc:
            raise InvalidConstraint(
                f"{constraint!r} is not a valid PEP 440 specifier: {exc}"
            ) from None
        result = VersionSet.everything()
        for spec in specifiers:
            result = result.intersect(_specifier_set(spec))
        return result


def _next_release_prefix(release: tuple[int, ...], length: int) -> Version:
    """The first version after every version that starts with release[:length]."""
    prefix = list(release[:length])
    prefix[-1] += 1
    return Version(".".join(map(str, prefix)) + ".dev0")


def _specifier_set(spec: Specifier) -> VersionSet:
    """One PEP 440 clause as intervals (pre-release exclusion rules are not modelled: a range
    is taken to admit its pre-releases, which errs towards reporting)."""
    op, text = spec.operator, spec.version
    if op in ("==", "!=") and text.endswith(".*"):
        base = Version(text[:-2])
        band = VersionSet.of(
            [
                Interval(
                    Version(f"{base.public}.dev0"),
                    True,
                    _next_release_prefix(base.release, len(base.release)),
                    False,
                )
            ]
        )
        return band if op == "==" else band.complement()
    if op == "===":
        try:
            return VersionSet.points([Version(text)])
        except _PackagingInvalid:
            return VersionSet()  # arbitrary equality with a non-PEP 440 string: nothing orders
    version = Version(text)
    if op == "==":
        return VersionSet.points([version])
    if op == "!=":
        return VersionSet.points([version]).complement()
    if op == ">=":
        return VersionSet.of([Interval(version, True, None, False)])
    if op == ">":
        return VersionSet.of([Interval(version, False, None, False)])
    if op == "<=":
        return VersionSet.of([Interval(None, True, version, True)])
    if op == "<":
        # "<3.0" excludes 3.0's own pre-releases: stop before 3.0.dev0.
        upper = version if version.is_prerelease else Version(f"{version.public}.dev0")
        return VersionSet.of([Interval(None, True, upper, False)])
    if op == "~=":
        # ~=2.2.1 means >=2.2.1, ==2.2.*
        upper = _next_release_prefix(version.release, len(version.release) - 1)
        return VersionSet.of([Interval(version, True, upper, False)])
    raise InvalidConstraint(f"unsupported PEP 440 operator {op!r}")  # pragma: no cover
