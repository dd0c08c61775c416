"""SemVer 2.0.0 precedence (https://semver.org/#spec-item-11), shared by npm, crates.io, Hex,
SwiftURL and Go.

Build metadata never affects precedence. Missing minor or patch parts read as zero ("1.2" is
1.2.0): real releases always carry three parts, and the leniency lets partial range bounds and
OSV's "0" (introduced at the beginning) order. Which leading prefix is accepted depends on the
ecosystem: npm reads "v1.2.3" and "=1.2.3" (node-semver's loose form), SwiftURL tags carry "v",
crates.io and Hex accept none.
"""

from __future__ import annotations

import re
from functools import lru_cache

from deeptracy.versions.interface import (
    PARSE_CACHE_SIZE,
    InvalidVersion,
    VersionScheme,
    version_text,
)

_IDENT = r"[0-9A-Za-z-]+"
_SEMVER = re.compile(
    rf"""
    (?P<major>0|[1-9]\d*)
    (?:\.(?P<minor>0|[1-9]\d*))?
    (?:\.(?P<patch>0|[1-9]\d*))?
    (?:-(?P<pre>{_IDENT}(?:\.{_IDENT})*))?
    (?:\+(?P<build>{_IDENT}(?:\.{_IDENT})*))?
    """,
    re.VERBOSE,
)
RULE = "SemVer 2.0: MAJOR.MINOR.PATCH, optional -PRERELEASE and +BUILD, no leading zeros"

# (major, minor, patch, pre): a release's pre is (1,), a pre-release's is (0, identifiers), so a
# release sorts after all of its pre-releases; numeric identifiers (0, n) sort before
# alphanumeric ones (1, s). (0, ()) sorts below every pre-release: see `floor`.
SemverKey = tuple[int, int, int, tuple[object, ...]]
_RELEASE: tuple[object, ...] = (1,)


def floor(major: int, minor: int, patch: int) -> SemverKey:
    """A bound just below every pre-release of major.minor.patch (node-semver's "-0")."""
    return (major, minor, patch, (0, ()))


def release(major: int, minor: int, patch: int) -> SemverKey:
    return (major, minor, patch, _RELEASE)


def prerelease_key(pre: str | None, *, version: str, ecosystem: str) -> tuple[object, ...]:
    """The precedence of a pre-release (None for a release), checking SemVer's rules."""
    if pre is None:
        return _RELEASE
    idents: list[tuple[int, int | str]] = []
    for ident in pre.split("."):
        if ident.isdigit():
            if len(ident) > 1 and ident[0] == "0":
                raise InvalidVersion(
                    f"{version!r} is not a valid {ecosystem} version ({RULE}): numeric "
                    f"pre-release identifier {ident!r} has a leading zero"
                )
            idents.append((0, int(ident)))
        else:
            idents.append((1, ident))
    return (0, tuple(idents))


@lru_cache(maxsize=PARSE_CACHE_SIZE)
def _parse(version: str, ecosystem: str, prefixes: str) -> SemverKey:
    text = version.strip()
    if prefixes:
        text = text.lstrip(prefixes + " \t")
    match = _SEMVER.fullmatch(text)
    if match is None:
        raise InvalidVersion(f"{version!r} is not a valid {ecosystem} version ({RULE})")
    return (
        int(match["major"]),
        int(match["minor"] or 0),
        int(match["patch"] or 0),
        prerelease_key(match["pre"], version=version, ecosystem=ecosystem),
    )


def parse_semver(version: str, *, ecosystem: str = "SemVer", prefixes: str = "") -> SemverKey:
    """The precedence key of a SemVer version; `prefixes` are the leading characters tolerated."""
    version = version_text(version, ecosystem)
    return _parse(version, ecosystem, prefixes)


class SemverScheme(VersionScheme):
    """SemVer precedence for one ecosystem (its name appears in error messages)."""

    def __init__(self, name: str = "SemVer", *, prefixes: str = "") -> None:
        self.name = name
        self._prefixes = prefixes

    def parse(self, version: str) -> SemverKey:
        return parse_semver(version, ecosystem=self.name, prefixes=self._prefixes)
