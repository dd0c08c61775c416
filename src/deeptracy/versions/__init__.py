"""Per-ecosystem version ordering, keyed by OSV ecosystem name."""

from __future__ import annotations

from deeptracy.versions.golang import GoScheme
from deeptracy.versions.interface import InvalidConstraint, InvalidVersion, VersionScheme
from deeptracy.versions.pep440 import Pep440Scheme
from deeptracy.versions.semver import SemverScheme

SEMVER = SemverScheme()

# One instance per ecosystem; schemes are stateless and shared.
_SCHEMES: dict[str, VersionScheme] = {
    "PyPI": Pep440Scheme(),
    "Go": GoScheme(),
    "crates.io": SEMVER,
    "npm": SEMVER,
    "Hex": SEMVER,
}


def scheme_for(ecosystem: str) -> VersionScheme | None:
    """The version scheme of an OSV ecosystem, or None when its ordering is unknown.

    Ecosystem suffixes such as "Debian:12" are ignored for the lookup.
    """
    return _SCHEMES.get(ecosystem) or _SCHEMES.get(ecosystem.partition(":")[0])


def supported_ecosystems() -> frozenset[str]:
    return frozenset(_SCHEMES)


__all__ = [
    "SEMVER",
    "InvalidConstraint",
    "InvalidVersion",
    "VersionScheme",
    "scheme_for",
    "supported_ecosystems",
]
