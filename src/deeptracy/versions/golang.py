"""Go modules: SemVer with a mandatory-in-go.mod 'v' prefix (optional in OSV records).

Pseudo-versions (v0.0.0-20200101120000-abcdef123456) are SemVer pre-releases and order as
such; '+incompatible' is build metadata and does not affect order. go.mod states exact versions
only, so there is no range syntax to read.
"""

from __future__ import annotations

from functools import lru_cache

from deeptracy.versions.interface import (
    PARSE_CACHE_SIZE,
    InvalidVersion,
    VersionScheme,
    version_text,
)
from deeptracy.versions.semver import SemverKey, parse_semver


@lru_cache(maxsize=PARSE_CACHE_SIZE)
def _parse(version: str) -> SemverKey:
    text = version.strip()
    if text.startswith("v"):
        text = text[1:]
    if text.startswith(("v", "=")):
        raise InvalidVersion(
            f"{version!r} is not a valid Go module version (vMAJOR.MINOR.PATCH with "
            "optional -PRERELEASE and +BUILD)"
        )
    return parse_semver(text, ecosystem="Go")


class GoScheme(VersionScheme):
    name = "Go"

    def parse(self, version: str) -> SemverKey:
        version = version_text(version, self.name)
        return _parse(version)
