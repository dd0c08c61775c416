"""PyPI: PEP 440 through `packaging`, the reference implementation used by pip."""

from __future__ import annotations

from packaging.version import InvalidVersion as _PackagingInvalid
from packaging.version import Version

from deeptracy.versions.interface import InvalidVersion, VersionScheme


class Pep440Scheme(VersionScheme):
    name = "PyPI"

    def parse(self, version: str) -> Version:
        try:
            return Version(version)
        except _PackagingInvalid:
            raise InvalidVersion(f"{version!r} is not a valid PEP 440 version") from None
