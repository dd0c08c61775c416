"""Running analyzers: each in its own thread, with a deadline, failing alone.

Every analyzer gets only the packages of the ecosystems it covers (none: its analysis is
SKIPPED). All of them start together and share one deadline (ANALYZER_TIMEOUT, or less when
the scan's own time is running out). One that raises, returns something that is not findings,
or is still running at the deadline gets a FAILED analysis with the reason; the others are
unaffected. A timed-out analyzer cannot be killed (it is a thread): it is abandoned, and
whatever it returns later is ignored.

What an analyzer returns is checked before it is trusted: findings must be `Finding` values
for `Package`s; a finding whose fields cannot be stored is dropped with a warning. Severities
given as text are read as such (UNKNOWN when unreadable).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from deeptracy.analyzers.interface import Analyzer
from deeptracy.analyzers.model import AnalysisResult, Finding
from deeptracy.clock import utcnow
from deeptracy.inventory.model import Inventory, Package
from deeptracy.logs import redact
from deeptracy.severity import Severity
from deeptracy.store.enums import AnalysisState

log = logging.getLogger(__name__)

MAX_ERROR_CHARS = 2000
MAX_WARNINGS = 100
_ID_LIMIT = 128
_PACKAGE_LIMITS = {"ecosystem": 64, "name": 512, "version": 255, "declared": 1024}


@dataclass(frozen=True)
class AnalyzerRun:
    """How one analyzer's run went."""

    name: str
    state: AnalysisState
    started_at: datetime
    finished_at: datetime
    findings: tuple[Finding, ...] = ()
    warnings: tuple[str, ...] = ()
    error: str | None = None

    @property
    def seconds(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()


class InvalidAnalyzerOutput(TypeError):
    pass


def describe_error(exc: BaseException) -> str:
    text = redact(str(exc).strip())
    message = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return message if len(message) <= MAX_ERROR_CHARS else message[:MAX_ERROR_CHARS] + "…"


def covered(analyzer: Analyzer, inventory: Inventory) -> Inventory:
    """The part of the inventory in the ecosystems `analyzer` covers."""
    if analyzer.ecosystems is None:
        return Inventory(inventory.packages)
    return Inventory(tuple(p for p in inventory.packages if analyzer.covers(p.ecosystem)))


def _package_problem(package: object) -> str | None:
    if not isinstance(package, Package):
        return f"package is {type(package).__name__}, not a Package"
    for field, limit in _PACKAGE_LIMITS.items():
        value = getattr(package, field)
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            return f"package {field} is not text of at most {limit} characters"
    return None


def checked_output(name: str, produced: object) -> tuple[tuple[Finding, ...], tuple[str, ...]]:
    """Findings (stamped with the analyzer's name) and warnings; InvalidAnalyzerOutput when
    the output is not findings at all."""
    warnings: list[str] = []
    if isinstance(produced, AnalysisResult):
        items: object = produced.findings
        warnings.extend(str(w) for w in produced.warnings)
    else:
        items = produced
    if isinstance(items, str | bytes | Mapping) or not isinstance(items, Iterable):
        raise InvalidAnalyzerOutput(
            f"returned {type(produced).__name__}, not a list of findings or an AnalysisResult"
        )
    findings: list[Finding] = []
    for item in list(items):
        if not isinstance(item, Finding):
            raise InvalidAnalyzerOutput(f"returned a {type(item).__name__} among its findings")
        problem = _package_problem(item.package)
        advisory_id = item.advisory_id
        if problem is None and (
            not isinstance(advisory_id, str)
            or not advisory_id.strip()
            or len(advisory_id) > _ID_LIMIT
        ):
            problem = f"advisory id {str(advisory_id)[:60]!r} is empty or over {_ID_LIMIT} chars"
        if problem is not None:
            warnings.append(f"a finding was dropped: {problem}")
            continue
        severity: object = item.severity  # plugins may hand in text
        if not isinstance(severity, Severity):
            try:
                severity = Severity.parse(str(severity))
            except ValueError:
                severity = Severity.UNKNOWN
        findings.append(
            dataclasses.replace(
                item,
                advisory_id=advisory_id.strip(),
                severity=severity,
                aliases=tuple(str(a).strip() for a in item.aliases if str(a).strip()),
                fixed=tuple(str(v) for v in item.fixed),
                analyzers=(name,),
            )
        )
    if len(warnings) > MAX_WARNINGS:
        warnings = [*warnings[:MAX_WARNINGS], f"... and {len(warnings) - MAX_WARNINGS} more"]
    return tuple(findings), tuple(warnings)


class _Slot:
    """One analyzer's thread and what it produced."""

    def __init__(self, analyzer: Analyzer, inventory: Inventory) -> None:
        self.analyzer = analyzer
        self.inventory = inventory
        self.started_at = utcnow()
        self.finished_at: datetime | None = None
        self.produced: object = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(
            target=self._run, name=f"analyzer-{analyzer.name}", daemon=True
        )

    def _run(self) -> None:
        try:
            self.produced = self.analyzer.analyze(self.inventory)
        except BaseException as exc:  # a plugin's SystemExit must not end the worker thread
            self.error = exc
        finally:
            self.finished_at = utcnow()


def run_analyzers(
    analyzers: Sequence[Analyzer], inventory: Inventory, timeout: float
) -> list[AnalyzerRun]:
    """Run every analyzer on its share of `inventory`; one AnalyzerRun each, in order."""
    slots: list[_Slot | AnalyzerRun] = []
    for analyzer in analyzers:
        now = utcnow()
        try:
            share = covered(analyzer, inventory)
        except Exception as exc:  # a plugin's covers() is plugin code too
            log.error("analyzer %s: covers() failed", analyzer.name, exc_info=exc)
            slots.append(
                AnalyzerRun(
                    analyzer.name,
                    AnalysisState.FAILED,
                    now,
                    utcnow(),
                    error=f"covers() failed: {describe_error(exc)}",
                )
            )
            continue
        if not share.packages:
            slots.append(
                AnalyzerRun(
                    analyzer.name,
                    AnalysisState.SKIPPED,
                    now,
                    now,
                    error="no package of the inventory is in an ecosystem it covers",
                )
            )
            continue
        slot = _Slot(analyzer, share)
        slot.thread.start()
        slots.append(slot)

    deadline = time.monotonic() + timeout
    runs: list[AnalyzerRun] = []
    for entry in slots:
        if isinstance(entry, AnalyzerRun):
            runs.append(entry)
            continue
        entry.thread.join(max(0.0, deadline - time.monotonic()))
        runs.append(_outcome(entry, timeout))
    return runs


def _outcome(slot: _Slot, timeout: float) -> AnalyzerRun:
    name = slot.analyzer.name
    if slot.thread.is_alive():
        log.error("analyzer %s did not finish within %.0f s; abandoned", name, timeout)
        return AnalyzerRun(
            name,
            AnalysisState.FAILED,
            slot.started_at,
            utcnow(),
            error=f"did not finish within {timeout:g} seconds (ANALYZER_TIMEOUT)",
        )
    finished = slot.finished_at or utcnow()
    if slot.error is not None:
        log.error("analyzer %s failed", name, exc_info=slot.error)
        return AnalyzerRun(
            name, AnalysisState.FAILED, slot.started_at, finished, error=describe_error(slot.error)
        )
    try:
        findings, warnings = checked_output(name, slot.produced)
    except InvalidAnalyzerOutput as exc:
        log.error("analyzer %s: %s", name, exc)
        return AnalyzerRun(name, AnalysisState.FAILED, slot.started_at, finished, error=str(exc))
    return AnalyzerRun(
        name, AnalysisState.DONE, slot.started_at, finished, findings, warnings=warnings
    )
