"""Merging findings: one finding per vulnerability and package, whoever found it and by any id.

Several analyzers may report the same vulnerability, and one database may hold it under
several records that name each other as aliases (a PYSEC and a GHSA record of the same CVE).
Findings are grouped by package identity (ecosystem, normalized name, version, declared
requirement, source file), then, within a package, by vulnerability identity: two findings are
the same vulnerability when their ids (advisory id and aliases, compared without case) share
one, transitively (union-find). Each group becomes one finding with:

- the primary id: the alphabetically first advisory id the analyzers reported, preferring
  database ids (GHSA, GO, PYSEC, RUSTSEC...) to CVE ids, which only win when no database
  id was reported. An alias nobody reported as its own advisory id never becomes primary, so
  the primary id always names a record an analyzer had;
- as aliases, every other id of the group, in alphabetical order;
- the highest severity (Severity.rank) and the highest score, with that score's vector;
- the union of the fixed versions, ordered by the ecosystem's version scheme: for a resolved
  version, those above it first (the upgrade target leads), then the others, each ascending;
  versions the scheme cannot read follow in the order they were reported;
- the union of the analyzers that found it, in name order;
- the summary of the primary record (else the first non-empty one), the distinct matched
  ranges, `exact` when any analyzer matched the resolved version exactly.

Output order is stable: by package (source file, ecosystem, name, version, declared) and then
primary id.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from deeptracy.analyzers.model import Finding
from deeptracy.ecosystems import normalize_name
from deeptracy.inventory.model import Package
from deeptracy.versions import InvalidVersion, scheme_for

PackageKey = tuple[str, str, str, str, str]


def package_key(package: Package) -> PackageKey:
    """(ecosystem, normalized name, version, declared, source file): one package of a scan."""
    return (
        package.source or "",
        package.ecosystem,
        normalize_name(package.ecosystem, package.name),
        package.version or "",
        package.declared or "",
    )


def _id_key(advisory_id: str) -> str:
    return advisory_id.strip().casefold()


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        self.parent.setdefault(item, item)
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:  # path compression
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, left: str, right: str) -> None:
        a, b = self.find(left), self.find(right)
        if a != b:
            self.parent[max(a, b)] = min(a, b)


def primary_id(advisory_ids: Iterable[str]) -> str:
    """The id a merged finding goes by: database ids before CVE ids, then alphabetical."""
    return min(advisory_ids, key=lambda i: (i.upper().startswith("CVE-"), i.upper(), i))


def order_fixed(ecosystem: str, version: str | None, fixed: Iterable[str]) -> tuple[str, ...]:
    """Distinct fixed versions: above `version` first, then the rest, each ascending under
    the ecosystem's scheme; unreadable ones last, in the order given."""
    distinct = list(dict.fromkeys(f for f in fixed if f))
    scheme = scheme_for(ecosystem)
    if scheme is None:
        return tuple(distinct)
    parsed: list[tuple[Any, str]] = []
    unreadable: list[str] = []
    for text in distinct:
        try:
            parsed.append((scheme.parse(text), text))
        except InvalidVersion:
            unreadable.append(text)
    parsed.sort(key=lambda item: item[0])
    current: Any = None
    if version is not None:
        try:
            current = scheme.parse(version)
        except InvalidVersion:
            current = None
    if current is None:
        return (*(t for _, t in parsed), *unreadable)
    above = [t for k, t in parsed if current < k]
    rest = [t for k, t in parsed if not current < k]
    return (*above, *rest, *unreadable)


def _admits_unaffected(findings: Sequence[Finding]) -> bool | None:
    values = [f.admits_unaffected for f in findings if f.admits_unaffected is not None]
    if not values:
        return None
    return all(values)


def _merge_group(package: Package, findings: Sequence[Finding]) -> Finding:
    primary = primary_id(f.advisory_id for f in findings)
    aliases: dict[str, str] = {}
    for finding in findings:
        for known in finding.ids:
            key = _id_key(known)
            if key != _id_key(primary) and key not in aliases:
                aliases[key] = known.strip()
    severest = max(findings, key=lambda f: f.severity.rank)
    scored = [f for f in findings if f.score is not None]
    best_scored = max(scored, key=lambda f: f.score or 0.0) if scored else None
    lead = next(f for f in findings if f.advisory_id == primary)
    summary = lead.summary or next((f.summary for f in findings if f.summary), "")
    ranges = list(dict.fromkeys(f.matched_range for f in findings if f.matched_range))
    exact = any(f.exact for f in findings)
    return Finding(
        package=package,
        advisory_id=primary,
        summary=summary,
        severity=severest.severity,
        aliases=tuple(sorted(aliases.values(), key=lambda a: (a.upper(), a))),
        score=best_scored.score if best_scored else None,
        vector=best_scored.vector if best_scored else severest.vector,
        fixed=order_fixed(
            package.ecosystem, package.version, (v for f in findings for v in f.fixed)
        ),
        matched_range="; ".join(ranges),
        exact=exact,
        admits_unaffected=None if exact else _admits_unaffected(findings),
        analyzers=tuple(sorted({a for f in findings for a in f.analyzers})),
    )


def merge_findings(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per (package, vulnerability); see the module docstring for the rules."""
    by_package: dict[PackageKey, list[Finding]] = {}
    packages: dict[PackageKey, Package] = {}
    for finding in findings:
        key = package_key(finding.package)
        by_package.setdefault(key, []).append(finding)
        packages.setdefault(key, finding.package)

    merged: list[Finding] = []
    for key in sorted(by_package):
        group = by_package[key]
        links = _UnionFind()
        for finding in group:
            ids = [_id_key(i) for i in finding.ids if i.strip()]
            for other in ids[1:]:
                links.union(ids[0], other)
        vulns: dict[str, list[Finding]] = {}
        for finding in group:
            vulns.setdefault(links.find(_id_key(finding.advisory_id)), []).append(finding)
        package = packages[key]
        merged.extend(
            sorted(
                (_merge_group(package, same) for same in vulns.values()),
                key=lambda f: (f.advisory_id.upper(), f.advisory_id),
            )
        )
    return merged
