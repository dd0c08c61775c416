"""The built-in `osv` analyzer: the inventory matched against OSV advisories.

Locally (the default) it asks `advisories.matcher` over the advisory database; the matcher is
loaded once per process and reloaded only when an import or sync has committed since (the
database's generation, checked at most once per second). With PATTON_URI set it asks that
OSV-compatible server instead (another DeepTracy, or api.osv.dev): see `osv_remote`.

Each distinct (ecosystem, name, version or declared requirement) is queried once, however many
files state it. What cannot be checked is a warning on the analysis, never a silent "not
affected": an invalid version or requirement, an ecosystem without version ordering, a package
with neither version nor requirement (VCS, path and URL dependencies). An advisory whose range
cannot be evaluated cannot be ruled out either: it is reported as a possible finding
(`exact=False`) with a warning saying why, as the /v1 API answers it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from deeptracy.advisories.index import CompiledAdvisory
from deeptracy.advisories.matcher import AdvisoryMatch, Matcher, MatcherCache, Query, QueryResult
from deeptracy.analyzers.interface import Analyzer, AnalyzerContext
from deeptracy.analyzers.model import AnalysisResult, Finding
from deeptracy.ecosystems import normalize_name
from deeptracy.inventory.model import Inventory, Package

NAME = "osv"
MAX_WARNINGS = 100


@dataclass(frozen=True, slots=True)
class QueryPlan:
    """The distinct queries of an inventory and the packages each one answers for."""

    queries: tuple[Query, ...]
    packages: Mapping[Query, tuple[Package, ...]]
    unqueryable: tuple[Package, ...]  # neither version nor declared requirement


def plan_queries(packages: Iterable[Package]) -> QueryPlan:
    grouped: dict[Query, list[Package]] = defaultdict(list)
    unqueryable: list[Package] = []
    for package in packages:
        if package.version is not None:
            query = Query(package.ecosystem, package.name, package.version)
        elif package.declared is not None:
            query = Query(package.ecosystem, package.name, declared=package.declared)
        else:
            unqueryable.append(package)
            continue
        grouped[query].append(package)
    return QueryPlan(tuple(grouped), {q: tuple(p) for q, p in grouped.items()}, tuple(unqueryable))


class Warnings:
    """Warnings of one analysis, bounded (a lockfile of junk must not make a huge row)."""

    def __init__(self, limit: int = MAX_WARNINGS) -> None:
        self.limit = limit
        self.items: list[str] = []
        self.dropped = 0

    def add(self, text: str) -> None:
        if text in self.items:
            return
        if len(self.items) < self.limit:
            self.items.append(text)
        else:
            self.dropped += 1

    def result(self) -> tuple[str, ...]:
        if self.dropped:
            return (*self.items, f"... and {self.dropped} more warnings")
        return tuple(self.items)


def note_unqueryable(plan: QueryPlan, warnings: Warnings) -> None:
    if not plan.unqueryable:
        return
    names = sorted({f"{p.ecosystem} {p.name}" for p in plan.unqueryable})
    shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
    warnings.add(
        f"{len(plan.unqueryable)} packages have neither a version nor a requirement "
        f"(VCS, path or URL dependencies) and were not checked: {shown}"
    )


def finding_of(package: Package, match: AdvisoryMatch, analyzer: str = NAME) -> Finding:
    return Finding(
        package=package,
        advisory_id=match.advisory_id,
        aliases=match.aliases,
        summary=match.summary,
        severity=match.severity,
        score=match.score,
        vector=match.vector,
        fixed=match.fixed,
        matched_range=match.matched_range,
        exact=match.exact,
        admits_unaffected=match.admits_unaffected,
        analyzers=(analyzer,),
    )


def _undecided_finding(package: Package, advisory: CompiledAdvisory) -> Finding:
    meta, severity = advisory.meta, advisory.severity
    return Finding(
        package=package,
        advisory_id=meta.id,
        aliases=meta.aliases,
        summary=meta.summary,
        severity=severity.severity,
        score=severity.score,
        vector=severity.vector,
        fixed=advisory.fixed_for(None),
        matched_range="could not be evaluated: " + "; ".join(advisory.problems),
        exact=False,
        admits_unaffected=None,
        analyzers=(NAME,),
    )


def findings_from(
    matcher: Matcher,
    plan: QueryPlan,
    results: Sequence[QueryResult],
    warnings: Warnings,
) -> list[Finding]:
    """Findings for every package of the plan from the matcher's results (in query order)."""
    findings: list[Finding] = []
    for query, result in zip(plan.queries, results, strict=True):
        packages = plan.packages[query]
        if result.error:
            warnings.add(f"{query.ecosystem} {result.error}")
        undecided: list[CompiledAdvisory] = []
        if result.undecided:
            compiled = matcher.index.package(
                query.ecosystem, normalize_name(query.ecosystem, query.name)
            )
            wanted = set(result.undecided)
            undecided = [
                a for a in (compiled.advisories if compiled else ()) if a.meta.id in wanted
            ]
        for package in packages:
            findings.extend(finding_of(package, match) for match in result.matches)
            findings.extend(_undecided_finding(package, advisory) for advisory in undecided)
    return findings


class OsvAnalyzer(Analyzer):
    """OSV advisories: the local advisory database, or PATTON_URI's OSV API when set."""

    name = NAME
    ecosystems = None
    description = "OSV advisories from the local advisory database (exact version matching)"

    def __init__(self, context: AnalyzerContext | None = None) -> None:
        super().__init__(context)
        if context is None:
            raise ValueError("the osv analyzer needs an AnalyzerContext")
        self._remote = None
        self.matchers: MatcherCache | None = None
        self._fixed: Matcher | None = context.advisories
        if self._fixed is not None:
            pass  # a one-shot run: the caller loaded the advisories it needs
        elif context.settings.patton_uri:
            from deeptracy.analyzers.osv_remote import RemoteOsv

            self._remote = RemoteOsv.from_settings(context.settings)
            self.description = f"OSV advisories from the OSV API at {self._remote.shown_url}"
        elif context.database is not None:
            self.matchers = MatcherCache(context.database, keys=context.only_packages)
        else:
            raise ValueError("the osv analyzer needs a database (or PATTON_URI)")

    @property
    def remote(self) -> bool:
        return self._remote is not None

    def analyze(self, inventory: Inventory) -> AnalysisResult:
        if self._remote is not None:
            return self._remote.analyze(inventory)
        if self._fixed is not None:
            matcher = self._fixed
        else:
            assert self.matchers is not None
            matcher = self.matchers.get()
        plan = plan_queries(inventory.packages)
        warnings = Warnings()
        note_unqueryable(plan, warnings)
        results = matcher.match(plan.queries)
        findings = findings_from(matcher, plan, results, warnings)
        return AnalysisResult(tuple(findings), warnings.result())

    def warm(self) -> None:
        if self.matchers is not None:
            self.matchers.get()  # the in-memory advisory index

    def close(self) -> None:
        if self._remote is not None:
            self._remote.close()
