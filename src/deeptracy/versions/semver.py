"""SemVer 2.0.0 precedence (https://semver.org/#spec-item-11), used by crates.io, npm and Hex.

Build metadata never affects precedence. A leading 'v' or '=' is accepted, as npm and Go write
them, and missing minor or patch parts read as zero so that range bounds such as "1.2" order.
"""

from __future__ import annotations

import re

from deeptracy.versions.interface import InvalidVersion, VersionScheme

_SEMVER = re.compile(
    r"""^\s*[v=]?\s*
    (?P<major>0|[1-9]\d*)
    (?:\.(?P<minor>0|[1-9]\d*))?
    (?:\.(?P<patch>0|[1-9]\d*))?
    (?:-(?P<pre>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?
    (?:\+(?P<build>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?
    \s*$""",
    re.VERBOSE,
)

# A release sorts after every pre-release of the same core: (1,) > (0, ...).
_RELEASE: tuple[int] = (1,)

SemverKey = tuple[int, int, int, tuple[object, ...]]


def parse_semver(version: str, *, strict: bool = False) -> SemverKey:
    match = _SEMVER.match(version)
    if match is None or (strict and (match["minor"] is None or match["patch"] is None)):
        raise InvalidVersion(f"{version!r} is not a valid SemVer 2.0 version")
    pre = match["pre"]
    if pre is None:
        pre_key: tuple[object, ...] = _RELEASE
    else:
        idents: list[tuple[int, int | str]] = []
        for ident in pre.split("."):
            if ident.isdigit():
                if len(ident) > 1 and ident[0] == "0":
                    raise InvalidVersion(
                        f"{version!r} is not a valid SemVer 2.0 version: numeric pre-release "
                        f"identifier {ident!r} has a leading zero"
                    )
                idents.append((0, int(ident)))  # numeric identifiers sort before alphanumeric
            else:
                idents.append((1, ident))
        pre_key = (0, tuple(idents))
    return (int(match["major"]), int(match["minor"] or 0), int(match["patch"] or 0), pre_key)


class SemverScheme(VersionScheme):
    name = "SemVer"

    def parse(self, version: str) -> SemverKey:
        return parse_semver(version)
