"""The one interface every ecosystem's version ordering implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from deeptracy.versions.intervals import VersionSet


# Parsed keys and constraint sets are cached: the matcher parses the same strings many times.
# A scan of a large advisory database sees well over 65,536 distinct versions per ecosystem, and
# an LRU cache smaller than the working set misses on every pass.
PARSE_CACHE_SIZE = 1 << 18
CONSTRAINT_CACHE_SIZE = 1 << 14


class InvalidVersion(ValueError):
    """A version string the ecosystem's rules cannot read; the message says why."""


class InvalidConstraint(ValueError):
    """A declared requirement the ecosystem's syntax cannot read; the message says why."""


class VersionKey(Protocol):
    """A parsed version: totally ordered and hashable within one scheme."""

    def __lt__(self, other: Any, /) -> bool: ...

    def __hash__(self) -> int: ...


class VersionScheme(ABC):
    """Parsing and ordering of one ecosystem's versions.

    `parse` returns a key whose natural order is the ecosystem's precedence; two versions that
    the ecosystem considers equal (SemVer build metadata, Maven padding) get equal keys.
    """

    name: str

    @abstractmethod
    def parse(self, version: str) -> Any:
        """The ordering key of `version`; raises InvalidVersion with a precise message."""

    def parse_constraint(self, constraint: str) -> VersionSet:
        """The set of versions a declared requirement admits (">=3.0,<4", "^1.2", "[1.0,2.0)").

        Raises InvalidConstraint for text the ecosystem's syntax cannot read, and for
        ecosystems whose manifests only ever state exact versions.
        """
        raise InvalidConstraint(f"declared version ranges are not supported for {self.name}")

    def compare(self, left: str, right: str) -> int:
        """-1, 0 or 1 as `left` sorts before, equal to or after `right`."""
        a, b = self.parse(left), self.parse(right)
        return int(a > b) - int(a < b)

    def is_valid(self, version: str) -> bool:
        try:
            self.parse(version)
        except InvalidVersion:
            return False
        return True
