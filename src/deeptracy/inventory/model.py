"""What an inventory is made of: packages found in a source tree, and the files that failed."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum

from deeptracy.ecosystems import normalize_name, purl_for


class Scope(StrEnum):
    """What a format tells of a dependency's role; None on a package means runtime or unknown."""

    DEV = "dev"
    OPTIONAL = "optional"
    TEST = "test"
    PEER = "peer"
    BUILD = "build"
    PROVIDED = "provided"


@dataclass(frozen=True, slots=True, order=True)
class Location:
    """A file of the tree (POSIX, relative to the root) and a line when the format has lines."""

    path: str
    line: int | None = None

    def to_dict(self) -> dict[str, object]:
        return {"path": self.path, "line": self.line}


@dataclass(frozen=True, slots=True)
class Package:
    """One dependency as a file states it.

    `version` is an exact, resolved version. A manifest that only declares a requirement gives
    `version=None` and the requirement in `declared` (">=3.0,<4", "^1.2.0"), never an invented
    version. A dependency that cannot be resolved from files (VCS, URL, local path) has neither,
    and says why in `note`.
    """

    ecosystem: str
    name: str
    version: str | None = None
    declared: str | None = None
    direct: bool | None = None
    scope: Scope | None = None
    locations: tuple[Location, ...] = ()
    note: str | None = None
    purl: str | None = field(default=None)

    def __post_init__(self) -> None:
        if self.purl is None:
            object.__setattr__(self, "purl", purl_for(self.ecosystem, self.name, self.version))

    @property
    def key(self) -> tuple[str, str]:
        """(ecosystem, normalized name): the identity used to meet advisories."""
        return (self.ecosystem, normalize_name(self.ecosystem, self.name))

    @property
    def is_resolved(self) -> bool:
        return self.version is not None

    @property
    def source(self) -> str | None:
        """The file this package was read from (its first location)."""
        return self.locations[0].path if self.locations else None

    def with_locations(self, locations: Iterable[Location]) -> Package:
        return replace(self, locations=tuple(sorted(set(locations))))

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {
            "ecosystem": self.ecosystem,
            "name": self.name,
            "version": self.version,
            "purl": self.purl,
            "direct": self.direct,
            "scope": self.scope.value if self.scope else None,
            "locations": [loc.to_dict() for loc in self.locations],
        }
        if self.declared is not None:
            data["declared"] = self.declared
        if self.note is not None:
            data["note"] = self.note
        return data


@dataclass(frozen=True, slots=True, order=True)
class FileError:
    """A file that could not be read, or part of one, with a precise message."""

    path: str
    message: str
    line: int | None = None

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {"path": self.path, "message": self.message}
        if self.line is not None:
            data["line"] = self.line
        return data


@dataclass(frozen=True, slots=True)
class Inventory:
    """All packages of a tree, in a stable order, and the per-file errors met on the way."""

    packages: tuple[Package, ...] = ()
    errors: tuple[FileError, ...] = ()

    def fingerprint(self) -> str:
        """A digest of the dependency set, insensitive to order and line numbers.

        Two scans with equal fingerprints have the same dependencies (what the unchanged check
        asks), even when a lockfile was reformatted.
        """
        rows = sorted(
            {
                (
                    p.ecosystem,
                    normalize_name(p.ecosystem, p.name),
                    p.version or "",
                    p.declared or "",
                    p.source or "",
                )
                for p in self.packages
            }
        )
        return hashlib.sha256(json.dumps(rows).encode()).hexdigest()

    def to_dict(self) -> dict[str, object]:
        return {
            "packages": [p.to_dict() for p in self.packages],
            "errors": [e.to_dict() for e in self.errors],
        }
