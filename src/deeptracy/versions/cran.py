"""CRAN: R's package_version order (base::numeric_version).

A version is non-negative integers separated by '.' or '-' ("1.2-3" is 1.2.3); components
compare as numbers, and a version that is a prefix of another sorts first (1.0 < 1.0.0), as R
compares them. R's package_version wants two or more components; one is accepted so that OSV's
"0" orders.
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

_VERSION = re.compile(r"[0-9]+(?:[.-][0-9]+)*")

CranKey = tuple[int, ...]


@lru_cache(maxsize=PARSE_CACHE_SIZE)
def _parse(version: str) -> CranKey:
    if not _VERSION.fullmatch(version):
        raise InvalidVersion(
            f"{version!r} is not a valid CRAN version (integers separated by '.' or '-')"
        )
    return tuple(int(part) for part in re.split(r"[.-]", version))


class CranScheme(VersionScheme):
    name = "CRAN"

    def parse(self, version: str) -> CranKey:
        version = version_text(version, self.name)
        return _parse(version.strip())
