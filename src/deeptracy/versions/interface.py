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
# Longer text is refused before parsing; this also keeps every number below Python's limit on
# int() of a digit string (4300 digits).
MAX_VERSION_LENGTH = 256
MAX_CONSTRAINT_LENGTH = 4096


class InvalidVersion(ValueError):
    """A version string the ecosystem's rules cannot read; the message says why."""


class InvalidConstraint(ValueError):
    """A declared requirement the ecosystem's syntax cannot read; the message says why."""


def version_text(version: object, ecosystem: str) -> str:
    """`version` itself when it is a string of a sane length; InvalidVersion otherwise."""
    if not isinstance(version, str):
        raise InvalidVersion(f"{version!r} is not a version string")
    if len(version) > MAX_VERSION_LENGTH:
        raise InvalidVersion(
            f"{version[:32]!r}... is not a valid {ecosystem} version: it is longer than "
            f"{MAX_VERSION_LENGTH} characters"
        )
    return version


def constraint_text(constraint: object, ecosystem: str) -> str:
    """`constraint` itself when it is a string of a sane length; InvalidConstraint otherwise."""
    if not isinstance(constraint, str):
        raise InvalidConstraint(f"{constraint!r} is not a constraint string")
    if len(constraint) > MAX_CONSTRAINT_LENGTH:
        raise InvalidConstraint(
            f"{constraint[:32]!r}... is not a valid {ecosystem} constraint: it is longer than "
            f"{MAX_CONSTRAINT_LENGTH} characters"
        )
    return constraint


class VersionKey(Protocol):
    """A parsed version: totally ordered and hashable within one scheme."""

    def __lt__(self, other: Any, /) -> bool: ...

    def __hash__(self) -> int: ...


class VersionScheme(ABC):
    """Parsing and ordering of one ecosystem's versions.

    `parse` returns a key whose natural order is the ecosystem's precedence; two versions that
    the ecosystem considers equal (SemVer build metadata, Maven padding) get equal keys.
    The VersionSets of `parse_constraint` may be bounded by keys that no version parses to
    (just below every pre-release of 2.0.0, just after 1.0's local versions); they order with
    real keys and are never equal to one.
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
