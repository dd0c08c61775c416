"""What the entry points of the registry tests name (tests.analyzers.sample_plugins:...)."""

from __future__ import annotations

from collections.abc import Sequence

from deeptracy.analyzers.interface import Analyzer, AnalyzerContext
from deeptracy.analyzers.model import Finding
from deeptracy.inventory.model import Inventory
from deeptracy.severity import Severity


class EchoAnalyzer(Analyzer):
    """Reports one finding per package, under an id made from its name."""

    name = "echo"
    ecosystems = frozenset({"npm"})
    description = "echoes packages"

    def analyze(self, inventory: Inventory) -> Sequence[Finding]:
        return [Finding(p, f"ECHO-{p.name}", "echo", Severity.LOW) for p in inventory.packages]


class AbstractOne(Analyzer):
    name = "abstract"


def pair(context: AnalyzerContext) -> list[Analyzer]:
    first = EchoAnalyzer(context)
    second = EchoAnalyzer(context)
    second.name = "echo-two"
    return [first, second]


def not_an_analyzer(context: AnalyzerContext) -> object:
    return {"name": "nope"}


def raising_factory(context: AnalyzerContext) -> list[Analyzer]:
    raise RuntimeError("vendor licence missing")


class BadName(EchoAnalyzer):
    name = "Bad Name!"


NOT_CALLABLE = 42
