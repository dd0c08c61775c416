"""The one interface every ecosystem's version ordering implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Protocol


class InvalidVersion(ValueError):
    """A version string the ecosystem's rules cannot read; the message says why."""


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
