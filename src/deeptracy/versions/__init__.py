"""Per-ecosystem version ordering and declared-range parsing, keyed by OSV ecosystem name.

Every scheme parses versions into keys ordered as the ecosystem orders them, and those with a
range syntax read declared requirements into VersionSets. Across all range syntaxes one rule
is not modelled: the ecosystems' filters that hide pre-releases from ranges that do not ask for
them (npm, Cargo, pip, Elixir, NuGet). A range here admits the pre-releases between its bounds,
which errs towards reporting a declared requirement as possibly affected.
"""

from __future__ import annotations

from deeptracy.versions.cargo import CargoScheme
from deeptracy.versions.conan import ConanScheme
from deeptracy.versions.cran import CranScheme
from deeptracy.versions.golang import GoScheme
from deeptracy.versions.hex import HexScheme
from deeptracy.versions.interface import InvalidConstraint, InvalidVersion, VersionScheme
from deeptracy.versions.maven import MavenScheme
from deeptracy.versions.npm import NpmScheme
from deeptracy.versions.nuget import NugetScheme
from deeptracy.versions.packagist import PackagistScheme
from deeptracy.versions.pep440 import Pep440Scheme
from deeptracy.versions.pub import PubScheme
from deeptracy.versions.rubygems import RubyGemsScheme
from deeptracy.versions.semver import SemverScheme

SEMVER = SemverScheme(prefixes="v=")  # generic SemVer, tolerant of "v1.2.3" and "=1.2.3"

# One instance per ecosystem; schemes are stateless and shared.
_SCHEMES: dict[str, VersionScheme] = {
    "PyPI": Pep440Scheme(),
    "Go": GoScheme(),
    "crates.io": CargoScheme(),
    "npm": NpmScheme(),
    "Hex": HexScheme(),
    "Maven": MavenScheme(),
    "NuGet": NugetScheme(),
    "RubyGems": RubyGemsScheme(),
    "Packagist": PackagistScheme(),
    "Pub": PubScheme(),
    "ConanCenter": ConanScheme(),
    "CRAN": CranScheme(),
    "SwiftURL": SemverScheme("SwiftURL", prefixes="v"),
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
