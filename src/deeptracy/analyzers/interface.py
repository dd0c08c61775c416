"""The analyzer plugin interface: a name, the ecosystems covered, inventory -> findings.

Third-party analyzers are classes (or factories) published in the `deeptracy.analyzers`
entry-point group, or modules in PLUGINS_LOCATION; the registry instantiates them with an
AnalyzerContext. An analyzer that raises or times out fails its own analysis only.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

from deeptracy.analyzers.model import Finding
from deeptracy.config import Settings
from deeptracy.inventory.model import Inventory
from deeptracy.store.db import Database


@dataclass(frozen=True)
class AnalyzerContext:
    """What an analyzer may use: settings and, for database-backed analyzers, the store."""

    settings: Settings
    database: Database | None = None


class Analyzer(ABC):
    name: str
    # OSV ecosystem names this analyzer understands; None means every ecosystem.
    ecosystems: frozenset[str] | None = None
    description: str = ""

    def covers(self, ecosystem: str) -> bool:
        return self.ecosystems is None or ecosystem in self.ecosystems

    @abstractmethod
    def analyze(self, inventory: Inventory) -> Sequence[Finding]:
        """Findings for the packages of `inventory` this analyzer covers."""
