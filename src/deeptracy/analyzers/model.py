"""A finding: one advisory affecting one package, as an analyzer (or the merge) reports it."""

from __future__ import annotations

from dataclasses import dataclass

from deeptracy.inventory.model import Package
from deeptracy.severity import Severity


@dataclass(frozen=True, slots=True)
class Finding:
    """An advisory that affects a package of the inventory.

    `exact` is True when the package's resolved version lies in an affected range. For a
    declared-only package (a range such as ">=3.0,<4" with no lockfile) `exact` is False: the
    declared range overlaps an affected range, so the package is *possibly* affected, and
    `admits_unaffected` tells whether the declared range also allows a version that is not.
    """

    package: Package
    advisory_id: str
    summary: str
    severity: Severity
    aliases: tuple[str, ...] = ()
    score: float | None = None
    vector: str | None = None  # the CVSS vector the score came from
    fixed: tuple[str, ...] = ()  # versions that fix it for this package, lowest first
    matched_range: str = ""  # human-readable affected range that matched, e.g. ">=0, <1.5.1"
    exact: bool = True
    admits_unaffected: bool | None = None
    analyzers: tuple[str, ...] = ()

    @property
    def ids(self) -> tuple[str, ...]:
        """The advisory id followed by its aliases (CVE, GHSA, PYSEC, GO, RUSTSEC...)."""
        return (self.advisory_id, *(a for a in self.aliases if a != self.advisory_id))

    @property
    def fixed_version(self) -> str | None:
        """The lowest fixed version above the package's version: what to upgrade to."""
        return self.fixed[0] if self.fixed else None


@dataclass(frozen=True, slots=True)
class AnalysisResult:
    """What an analyzer may return instead of a plain list: its findings, and warnings about
    what it could not check (an invalid version, an advisory it could not evaluate...). A
    warning does not fail the analysis; it is stored with it and shown in reports."""

    findings: tuple[Finding, ...] = ()
    warnings: tuple[str, ...] = ()
