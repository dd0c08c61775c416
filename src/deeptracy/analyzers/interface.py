"""The analyzer plugin interface: a name, the ecosystems covered, inventory -> findings.

Third-party analyzers are classes (or factories) published in the `deeptracy.analyzers`
entry-point group, or modules in PLUGINS_LOCATION; the registry (`analyzers.registry`)
instantiates them with an AnalyzerContext. An analyzer that raises or times out fails its own
analysis only.

An instance is created once per process and shared by every scan of that process, possibly
from several threads at once: `analyze` must be thread-safe and must not keep per-scan state
on the instance. The inventory it receives holds only the packages of the ecosystems it covers.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from deeptracy.analyzers.model import AnalysisResult, Finding
from deeptracy.config import Settings
from deeptracy.inventory.model import Inventory

if TYPE_CHECKING:
    from deeptracy.advisories.matcher import Matcher
    from deeptracy.store.db import Database


@dataclass(frozen=True)
class AnalyzerContext:
    """What an analyzer may use: settings and, for database-backed analyzers, the store.

    `only_packages`, when set, promises that every inventory this analyzer will see holds
    only these (ecosystem, normalized name) pairs: a one-shot scan of a checkout says so, and
    a database-backed analyzer may then load just their data instead of everything.
    """

    settings: Settings
    database: Database | None = None
    only_packages: frozenset[tuple[str, str]] | None = None
    # A matcher already loaded by the caller (a one-shot scan reads it without SQLAlchemy);
    # the osv analyzer then uses it instead of loading from `database`.
    advisories: Matcher | None = None


class Analyzer(ABC):
    """Subclasses set `name` (unique; lower-case letters, digits, `.`, `_`, `-`), optionally
    `ecosystems` and `description`, and implement `analyze`.

    `analyze` returns findings, or an AnalysisResult when it also has warnings to report
    (packages it could not check, for instance). Raising fails this analyzer's analysis with
    the exception's message; the scan goes on with the other analyzers.
    """

    name: str
    # OSV ecosystem names this analyzer understands; None means every ecosystem.
    ecosystems: frozenset[str] | None = None
    description: str = ""

    def __init__(self, context: AnalyzerContext | None = None) -> None:
        self.context = context

    def covers(self, ecosystem: str) -> bool:
        return self.ecosystems is None or ecosystem in self.ecosystems

    @abstractmethod
    def analyze(self, inventory: Inventory) -> Sequence[Finding] | AnalysisResult:
        """Findings for the packages of `inventory` (all of them in covered ecosystems)."""

    def warm(self) -> None:  # noqa: B027 - optional hook
        """Load what the first analysis would otherwise wait for (an index, a session);
        called once in the background when a long-running engine starts."""

    def close(self) -> None:  # noqa: B027 - optional hook, most analyzers hold nothing
        """Release what the analyzer holds (HTTP clients...); called when its process stops."""
