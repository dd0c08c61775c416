"""Continuous monitoring: each advisory run's delta against the latest inventory of every branch.

No repository is cloned and nothing is re-scanned. For a run (an import, sync or pushed delta,
each committed with the (ecosystem, normalized name) pairs its new, modified and withdrawn
records touch), monitoring:

1. claims the run by inserting its `monitor_run` row first in the transaction that records
   everything else, so each run is processed once even with several workers (a second
   claimer fails on the primary key and skips the run);
2. finds the affected branches in set-based queries: `inventory_package` rows of the delta's
   pairs (through the (ecosystem, normalized_name, inventory_id) index, names in chunks per
   ecosystem) joined to the scans that read those inventories and the branches whose latest
   scan they are, for monitored projects only;
3. loads a matcher over just those pairs and re-matches each distinct (package, version or
   declared requirement) once, however many branches share it;
4. compares with the open findings of each branch's latest scan for those packages (same
   ecosystem, normalized name, version and declared requirement):
   - a match for an advisory of the delta that no open finding covers (no shared advisory id
     or alias) becomes a new finding on the latest scan, one per package row (a package that
     two files state gets one in each, as scans do): origin `monitor`, `found_at` and
     `first_seen_at` now. Matches that name each other (aliases) become one finding, under the
     primary id the merge uses (database ids before CVE ids, then alphabetical);
   - an open finding that shares an id with an advisory of the delta and that no current match
     covers any more is closed: `closed_at` now and `closed_reason` "advisory withdrawn" or
     "advisory no longer covers <version>". Findings another analyzer (not `osv`) also
     reported stay open: that analyzer has not taken them back;
   - the scan's `total_vulnerabilities` and `severity_counts` follow;
5. records one NEW_FINDINGS and/or one FINDINGS_CLOSED event per changed branch with the
   findings in its payload, and queues their notifications by each project's policy.

Rows are written in bulk (`events.bulk`: COPY on PostgreSQL) and the hottest queries read the
driver's cursor directly: a delta touching popular packages meets hundreds of thousands of
package rows (bench/bench_monitoring.py).

Suppressions: a suppressed open finding (a `.deeptracy.yml` rule or a triage decision) covers
its ids like any open finding, so monitoring never adds it again as new. A new finding gets the
project's triage decision for its advisory and package when there is one. `.deeptracy.yml`
rules are not re-read (that needs the repository): they apply to a new advisory at the next
scan. A package whose version cannot be parsed is left alone (its findings are not closed).
"""

from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import String, any_, bindparam, cast, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from deeptracy.advisories.matcher import AdvisoryMatch, Matcher, Query, QueryResult
from deeptracy.advisories.store import Delta, get_delta
from deeptracy.config import Settings
from deeptracy.events.bulk import allocate_ids, as_json, insert_rows, update_rows
from deeptracy.events.channels import StoredChannel, channel_label, stored_channels
from deeptracy.events.history import (
    MAX_SUMMARY,
    listed,
    severity_counts,
    severity_name,
)
from deeptracy.events.messages import vulnerabilities
from deeptracy.events.policy import stored_min_severity, stored_policy, wants_notification
from deeptracy.store.base import utcnow
from deeptracy.store.db import Database
from deeptracy.store.enums import DeliveryState, EventKind, FindingOrigin, ScanState
from deeptracy.store.models import (
    Advisory,
    AdvisoryRun,
    Branch,
    Finding,
    InventoryPackage,
    MonitorRun,
    Project,
    Scan,
    Triage,
)

log = logging.getLogger(__name__)

ANALYZER = "osv"  # monitoring reads the same advisory database as the osv analyzer
_MONITOR = FindingOrigin.MONITOR.value
_PENDING = DeliveryState.PENDING.value
_NAMES_PER_QUERY = 500
_IDS_PER_QUERY = 5000  # ids per IN list (SQLite allows 32,766 parameters)
_SUCCESSFUL = (ScanState.DONE, ScanState.SAME_DEPS_AS_PREVIOUS)
_TRIAGE_STATES = {
    "IN_TRIAGE": "in_triage",
    "NOT_AFFECTED": "not_affected",
    "FALSE_POSITIVE": "false_positive",
    "ACCEPTED_RISK": "accepted_risk",
}


# ---- results ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RunOutcome:
    run_id: int
    branches_checked: int  # branches whose latest inventory holds a package of the delta
    branches_changed: int
    findings_added: int
    findings_closed: int
    events: int
    notifications: int
    seconds: float

    def to_dict(self) -> dict[str, object]:
        return {
            "run_id": self.run_id,
            "branches_checked": self.branches_checked,
            "branches_changed": self.branches_changed,
            "findings_added": self.findings_added,
            "findings_closed": self.findings_closed,
            "events": self.events,
            "notifications": self.notifications,
            "seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True, slots=True)
class MonitorSummary:
    runs: tuple[RunOutcome, ...] = ()
    skipped: tuple[int, ...] = ()  # runs another worker claimed first

    @property
    def findings_added(self) -> int:
        return sum(r.findings_added for r in self.runs)

    @property
    def findings_closed(self) -> int:
        return sum(r.findings_closed for r in self.runs)

    @property
    def events(self) -> int:
        return sum(r.events for r in self.runs)

    def to_dict(self) -> dict[str, object]:
        return {
            "runs": [r.to_dict() for r in self.runs],
            "skipped": list(self.skipped),
            "findings_added": self.findings_added,
            "findings_closed": self.findings_closed,
            "events": self.events,
        }


class RunClaimed(Exception):
    """Another worker processed (or is processing) the run."""


# ---- the affected branches ----------------------------------------------------------------------


class Target(NamedTuple):
    branch_id: int
    project_id: str
    branch: str
    scan_id: str


# A package row of a target's latest inventory: (ecosystem, id, normalized name, version,
# declared). Plain tuples: there is one per occurrence, hundreds of thousands for a big delta.
Occurrence = tuple[str, int, str, str | None, str | None]
Key = tuple[str, str, str, str]  # ecosystem, normalized name, version, declared ("" for None)


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _first_path(column: Any) -> Any:
    """The first location's path, extracted by the database (no JSON decoding here)."""
    return column[(0, "path")].as_string()


def _among(session: Session, column: Any, values: Iterable[Any]) -> Any:
    """`column IN values`; on PostgreSQL one array parameter (`= ANY`), so thousands of ids
    make a short statement the driver parses once."""
    items = list(values)
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, items, type_=ARRAY(column.type)))
    return column.in_(items)


def _raw_rows(session: Session, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Rows of a hot query straight from the driver's cursor, inside the session's transaction
    (no Row objects: this is where monitoring spends its time)."""
    cursor = session.connection().connection.cursor()
    try:
        cursor.execute(sql, params)
        return list(cursor.fetchall())
    finally:
        cursor.close()


# PostgreSQL: the index range of each name (bitmap scan), hash-joined to the latest scans.
_PG_AFFECTED = """
    SELECT branch.id, scan.id, ip.id, ip.normalized_name, ip.version, ip.declared
    FROM inventory_package AS ip
    JOIN scan ON scan.inventory_id = ip.inventory_id
    JOIN branch ON branch.latest_scan_id = scan.id
    JOIN project ON project.id = branch.project_id
    WHERE ip.ecosystem = %s AND ip.normalized_name = ANY(%s)
      AND project.monitored AND scan.state IN ('DONE', 'SAME_DEPS_AS_PREVIOUS')
"""
# SQLite's planner, without statistics, would start from the scans and probe the index once per
# scan and name; CROSS JOIN fixes the order: the index range of each name first, then the scan
# that read the inventory, its branch and project, one indexed look-up each (the package row
# itself is read only for rows that pass).
_SQLITE_AFFECTED = """
    SELECT branch.id, scan.id, ip.id, ip.normalized_name, ip.version, ip.declared
    FROM inventory_package AS ip
    CROSS JOIN scan ON scan.inventory_id = ip.inventory_id
    CROSS JOIN branch ON branch.latest_scan_id = scan.id
    CROSS JOIN project ON project.id = branch.project_id
    WHERE ip.ecosystem = ? AND ip.normalized_name IN ({marks})
      AND project.monitored = 1 AND scan.state IN ('DONE', 'SAME_DEPS_AS_PREVIOUS')
"""


def affected_packages(
    session: Session, pairs: Iterable[tuple[str, str]], *, branch_id: int | None = None
) -> dict[Target, list[Occurrence]]:
    """Per monitored branch, the packages of its latest inventory that the pairs name.

    One query per ecosystem and 500 names: the (ecosystem, normalized_name, inventory_id) index
    gives the inventories, joined to the scans that read them and the branches whose latest
    scan they are. Rows are kept narrow: there is one per package occurrence.
    """
    by_ecosystem: dict[str, list[str]] = defaultdict(list)
    for ecosystem, name in sorted(set(pairs)):
        by_ecosystem[ecosystem].append(name)
    by_branch: dict[tuple[int, str], list[Occurrence]] = defaultdict(list)
    sqlite = session.get_bind().dialect.name == "sqlite"
    for ecosystem, names in by_ecosystem.items():
        for chunk in _chunks(names, _NAMES_PER_QUERY):
            if sqlite:
                sql = _SQLITE_AFFECTED.format(marks=", ".join("?" for _ in chunk))
                rows = _raw_rows(session, sql, (ecosystem, *chunk))
            else:
                rows = _raw_rows(session, _PG_AFFECTED, (ecosystem, list(chunk)))
            for branch, scan_id, pid, norm, version, declared in rows:
                if branch_id is None or branch == branch_id:
                    by_branch[(branch, scan_id)].append((ecosystem, pid, norm, version, declared))
    found: dict[Target, list[Occurrence]] = {}
    keys = sorted(by_branch)
    for chunk in _chunks(keys, _IDS_PER_QUERY):
        wanted = dict(chunk)
        for branch, project_id, name in session.execute(
            select(Branch.id, Branch.project_id, Branch.name).where(
                _among(session, Branch.id, wanted)
            )
        ):
            scan_id = wanted[branch]
            found[Target(branch, project_id, name, scan_id)] = by_branch[(branch, scan_id)]
    return found


class OpenFinding(NamedTuple):
    """An open finding of a target scan, reduced to what the comparison needs."""

    id: int
    ids: frozenset[str]  # advisory id and aliases, casefolded
    severity: str
    suppressed: bool
    closable: bool  # only osv (or nobody else) reported it


class _JsonTexts:
    """JSON columns read as text and decoded once per distinct value: the same advisory's
    aliases repeat across thousands of branches."""

    def __init__(self) -> None:
        self._seen: dict[str, Any] = {}

    def __call__(self, raw: str | None) -> Any:
        if raw is None:
            return None
        try:
            return self._seen[raw]
        except KeyError:
            value = self._seen[raw] = json.loads(raw)
            return value


def _text(column: Any) -> Any:
    return cast(column, String)


def _open_findings_sql(sqlite: bool, scans: int, names: int) -> str:
    """Open findings of some scans (and package names); JSON columns as text, decoded once per
    distinct value by the caller."""
    if sqlite:
        json_columns = "aliases, severity, suppression, analyzers"
        where = f"scan_id IN ({', '.join('?' * scans)})"
        if names:
            where += f" AND normalized_name IN ({', '.join('?' * names)})"
    else:
        json_columns = "aliases::text, severity, suppression::text, analyzers::text"
        where = "scan_id = ANY(%s)" + (" AND normalized_name = ANY(%s)" if names else "")
    return (
        "SELECT id, scan_id, ecosystem, normalized_name, version, declared, advisory_id, "  # noqa: S608
        f"{json_columns} FROM finding WHERE closed_at IS NULL AND {where}"
    )


def _open_findings(
    session: Session, scan_ids: Sequence[str], pairs: set[tuple[str, str]]
) -> dict[tuple[str, Key], list[OpenFinding]]:
    """Open findings of the scans for the pairs' packages, by (scan, package key)."""
    names = sorted({n for _, n in pairs})
    found: dict[tuple[str, Key], list[OpenFinding]] = defaultdict(list)
    decode = _JsonTexts()
    ids_of: dict[tuple[str, str | None], frozenset[str]] = {}
    sqlite = session.get_bind().dialect.name == "sqlite"
    wanted = names if len(names) <= _NAMES_PER_QUERY else []
    for chunk in _chunks(sorted(scan_ids), _IDS_PER_QUERY):
        sql = _open_findings_sql(sqlite, len(chunk), len(wanted))
        params: tuple[Any, ...]
        if sqlite:
            params = (*chunk, *wanted)
        else:
            params = (list(chunk), wanted) if wanted else (list(chunk),)
        for row in _raw_rows(session, sql, params):
            fid, scan_id, eco, norm, version, declared, advisory, aliases, sev, supp, analyzers = (
                row
            )
            if (eco, norm) not in pairs:
                continue
            ids = ids_of.get((advisory, aliases))
            if ids is None:
                ids = ids_of[(advisory, aliases)] = frozenset(
                    {advisory.casefold(), *(a.casefold() for a in decode(aliases) or ())}
                )
            found[(scan_id, (eco, norm, version or "", declared or ""))].append(
                OpenFinding(
                    id=fid,
                    ids=ids,
                    severity=severity_name(sev),
                    suppressed=bool(decode(supp)),
                    closable=set(decode(analyzers) or ()) <= {ANALYZER},
                )
            )
    return found


def _closed_entries(session: Session, reasons: dict[int, str]) -> dict[int, dict[str, Any]]:
    """Payload entries (history.finding_entry's shape) of the findings being closed."""
    f = Finding
    entries: dict[int, dict[str, Any]] = {}
    for chunk in _chunks(sorted(reasons), _IDS_PER_QUERY):
        query = select(
            f.id,
            f.advisory_id,
            f.aliases,
            f.severity,
            f.score,
            f.summary,
            f.ecosystem,
            f.package_name,
            f.version,
            f.declared,
            f.purl,
            f.fixed,
            _first_path(f.locations),
            f.origin,
        ).where(_among(session, f.id, chunk))
        for row in session.execute(query).all():
            fid, advisory, aliases, sev, score, summary, eco, name, version, declared = row[:10]
            purl, fixed, source, origin = row[10:]
            entries[fid] = {
                "finding_id": fid,
                "advisory_id": advisory,
                "aliases": list(aliases or []),
                "severity": severity_name(sev),
                "score": score,
                "summary": (summary or "")[:MAX_SUMMARY],
                "ecosystem": eco,
                "package": name,
                "version": version,
                "declared": declared,
                "purl": purl,
                "fixed": list(fixed or [])[:10],
                "source": source or None,
                "origin": origin,
                "closed_reason": reasons[fid],
            }
    return entries


def _triage(
    session: Session, project_ids: Sequence[str], pairs: set[tuple[str, str]]
) -> dict[tuple[str, str, str], list[tuple[str, dict[str, Any]]]]:
    """(project, ecosystem, name) -> [(advisory id casefolded, suppression document)]."""
    found: dict[tuple[str, str, str], list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    for chunk in _chunks(sorted(project_ids), _IDS_PER_QUERY):
        for row in session.scalars(select(Triage).where(_among(session, Triage.project_id, chunk))):
            if (row.ecosystem, row.normalized_name) not in pairs:
                continue
            document = {
                "state": _TRIAGE_STATES.get(str(row.state), "in_triage"),
                "reason": row.comment or "",
                "source": "triage",
                "rule": row.advisory_id,
                "justification": None,
                "who": row.author,
                "when": row.updated_at.isoformat().replace("+00:00", "Z"),
                "expires": None,
            }
            found[(row.project_id, row.ecosystem, row.normalized_name)].append(
                (row.advisory_id.casefold(), document)
            )
    return found


def _withdrawn(session: Session, ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(ids, _IDS_PER_QUERY):
        found.update(
            session.scalars(
                select(Advisory.id).where(
                    _among(session, Advisory.id, chunk), Advisory.withdrawn.is_not(None)
                )
            )
        )
    return found


# ---- matching -----------------------------------------------------------------------------------


def _match_ids(match: AdvisoryMatch) -> frozenset[str]:
    return frozenset({match.advisory_id.casefold(), *(a.casefold() for a in match.aliases)})


@dataclass(frozen=True, slots=True)
class _Answer:
    """What the current advisories say of one (ecosystem, name, version, declared)."""

    fresh: tuple[tuple[AdvisoryMatch, frozenset[str]], ...]  # matches of the delta's advisories
    still: frozenset[str]  # every id any current match carries
    usable: bool  # False: the version could not be read, so nothing may be closed


def _undecided(matcher: Matcher, query: Query, result: QueryResult) -> list[AdvisoryMatch]:
    """Advisories whose ranges could not be evaluated: possible findings, as the osv analyzer
    reports them."""
    if not result.undecided:
        return []
    compiled = matcher.index.package(query.ecosystem, query.name)
    wanted = set(result.undecided)
    return [
        AdvisoryMatch(
            advisory_id=advisory.meta.id,
            aliases=advisory.meta.aliases,
            summary=advisory.meta.summary,
            severity=advisory.severity.severity,
            score=advisory.severity.score,
            vector=advisory.severity.vector,
            fixed=advisory.fixed_for(None),
            matched_range="could not be evaluated: " + "; ".join(advisory.problems),
            exact=False,
            admits_unaffected=None,
            modified=advisory.meta.modified,
        )
        for advisory in (compiled.advisories if compiled else ())
        if advisory.meta.id in wanted
    ]


class _Answers:
    """Answers per distinct (ecosystem, name, version, declared): many branches share them."""

    def __init__(self, matcher: Matcher, changed: set[str]) -> None:
        self.matcher = matcher
        self.changed = changed
        self._cache: dict[tuple[str, str, str | None, str | None], _Answer | None] = {}

    def get(
        self, ecosystem: str, name: str, version: str | None, declared: str | None
    ) -> _Answer | None:
        key = (ecosystem, name, version, declared)
        try:
            return self._cache[key]
        except KeyError:
            pass
        answer = None
        if version is not None or declared is not None:  # else never queried
            query = Query(*key)
            result = self.matcher.match_one(query)
            matches = (*result.matches, *_undecided(self.matcher, query, result))
            keyed = [(m, _match_ids(m)) for m in matches]
            answer = _Answer(
                fresh=tuple((m, ids) for m, ids in keyed if m.advisory_id in self.changed),
                still=frozenset().union(*(ids for _, ids in keyed)),
                usable=not (result.error and not result.undecided),
            )
        self._cache[key] = answer
        return answer


def primary_id(ids: Iterable[str]) -> str:
    """The id a merged finding goes by: database ids before CVE ids, then alphabetical."""
    return min(ids, key=lambda i: (i.upper().startswith("CVE-"), i.upper(), i))


def _groups(
    matches: Sequence[tuple[AdvisoryMatch, frozenset[str]]],
) -> list[list[AdvisoryMatch]]:
    """Matches that share an id (transitively) belong to one vulnerability."""
    groups: list[tuple[set[str], list[AdvisoryMatch]]] = []
    for match, match_ids in matches:
        ids = set(match_ids)
        merged = [match]
        for group in [g for g in groups if g[0] & ids]:
            ids |= group[0]
            merged.extend(group[1])
            groups.remove(group)
        groups.append((ids, merged))
    return [g[1] for g in groups]


def _merged(group: Sequence[AdvisoryMatch]) -> dict[str, Any]:
    primary = primary_id(m.advisory_id for m in group)
    lead = next(m for m in group if m.advisory_id == primary)
    ids = {m.advisory_id for m in group} | {a for m in group for a in m.aliases}
    worst = max(group, key=lambda m: (m.severity.rank, m.score or -1.0))
    scored = max(group, key=lambda m: m.score if m.score is not None else -1.0)
    exact = any(m.exact for m in group)
    admits = [m.admits_unaffected for m in group if m.admits_unaffected is not None]
    aliases = sorted(ids - {primary})
    fixed = list(dict.fromkeys(f for m in (lead, *group) for f in m.fixed))
    return {
        "advisory_id": primary,
        "aliases": aliases,
        "aliases_json": as_json(aliases),
        "fixed_json": as_json(fixed),
        "summary": lead.summary or next((m.summary for m in group if m.summary), ""),
        "severity": worst.severity.value,
        "score": scored.score,
        "vector": scored.vector,
        "fixed": fixed,
        "matched_range": "; ".join(
            dict.fromkeys(m.matched_range for m in group if m.matched_range)
        ),
        "exact": exact,
        "admits_unaffected": None if exact or not admits else any(admits),
    }


# ---- one run ------------------------------------------------------------------------------------


@dataclass
class _Plan:
    checked: int = 0
    # (target, occurrence, merged match values, suppression or None)
    new: list[tuple[Target, Occurrence, dict[str, Any], dict[str, Any] | None]] = field(
        default_factory=list
    )
    closed: list[tuple[Target, OpenFinding, str]] = field(default_factory=list)
    # Active-count changes per scan, by severity.
    totals: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))

    def bump(self, scan_id: str, severity: str, by: int) -> None:
        counts = self.totals[scan_id]
        counts[severity] = counts.get(severity, 0) + by


def _plan(
    session: Session, matcher: Matcher, delta: Delta, *, branch_id: int | None = None
) -> _Plan:
    changed_exact = {*delta.new, *delta.modified, *delta.withdrawn}
    changed = {i.casefold() for i in changed_exact}
    # Withdrawn now (a run processed late may see a later run's withdrawal).
    withdrawn = {i.casefold() for i in _withdrawn(session, sorted(changed_exact))}
    pairs = set(delta.packages)
    packages = affected_packages(session, pairs, branch_id=branch_id)
    plan = _Plan(checked=len(packages))
    if not packages:
        return plan
    open_findings = _open_findings(session, sorted({t.scan_id for t in packages}), pairs)
    triage = _triage(session, sorted({t.project_id for t in packages}), pairs)
    answers = _Answers(matcher, changed_exact)
    merged_cache: dict[tuple[int, tuple[str, ...]], list[dict[str, Any]]] = {}
    for target, occurrences in packages.items():
        closing_done: set[Key] = set()
        for occurrence in occurrences:
            ecosystem, _, norm, version, declared = occurrence
            answer = answers.get(ecosystem, norm, version, declared)
            if answer is None:
                continue
            key = (ecosystem, norm, version or "", declared or "")
            existing = open_findings.get((target.scan_id, key), ())
            if not answer.fresh and not existing:
                continue  # the common case: nothing of the delta concerns this package here
            # New: matches of the delta's advisories that no open finding covers; one per
            # occurrence (a package stated by two files has a finding for each, as in scans).
            if answer.fresh:
                fresh = answer.fresh
                if existing:
                    covered = (
                        existing[0].ids
                        if len(existing) == 1
                        else frozenset().union(*(f.ids for f in existing))
                    )
                    fresh = tuple((m, ids) for m, ids in fresh if not ids & covered)
                # Branches share versions: each distinct set of new matches is merged once.
                cache_key = (id(answer), tuple(m.advisory_id for m, _ in fresh))
                merged = merged_cache.get(cache_key)
                if merged is None:
                    merged = merged_cache[cache_key] = [_merged(g) for g in _groups(fresh)]
                for values in merged:
                    decision = _triage_for(triage, target.project_id, ecosystem, norm, values)
                    plan.new.append((target, occurrence, values, decision))
                    if decision is None:
                        plan.bump(target.scan_id, values["severity"], 1)
            # Closed: open findings of the delta's advisories that nothing matches any more.
            if not answer.usable or not existing or key in closing_done:
                continue
            closing_done.add(key)
            for finding in existing:
                if not finding.closable or not finding.ids & changed or finding.ids & answer.still:
                    continue
                if finding.ids & withdrawn:
                    reason = "advisory withdrawn"
                elif version is not None:
                    reason = f"advisory no longer covers {version}"
                else:
                    reason = f"advisory no longer covers the declared range {declared}"
                plan.closed.append((target, finding, reason))
                if not finding.suppressed:
                    plan.bump(target.scan_id, finding.severity, -1)
    return plan


def _triage_for(
    triage: dict[tuple[str, str, str], list[tuple[str, dict[str, Any]]]],
    project_id: str,
    ecosystem: str,
    name: str,
    values: dict[str, Any],
) -> dict[str, Any] | None:
    decisions = triage.get((project_id, ecosystem, name))
    if not decisions:
        return None
    ids = {values["advisory_id"].casefold(), *(a.casefold() for a in values["aliases"])}
    return next((doc for advisory, doc in decisions if advisory in ids), None)


_ANALYZERS_JSON = as_json([ANALYZER])
_FINDING_COLUMNS = (
    "id", "scan_id", "advisory_id", "aliases", "summary", "severity", "score", "vector",
    "fixed", "matched_range", "exact", "admits_unaffected", "ecosystem", "package_name",
    "normalized_name", "version", "declared", "purl", "direct", "scope", "locations",
    "analyzers", "origin", "first_seen_at", "found_at", "closed_at", "closed_reason",
    "suppression",
)  # fmt: skip
_EVENT_COLUMNS = (
    "id", "project_id", "branch", "scan_id", "advisory_run_id", "kind", "dedupe_key",
    "summary", "payload", "created_at",
)  # fmt: skip
_NOTIFICATION_COLUMNS = (
    "event_id", "project_id", "channel", "channel_id", "target", "state", "attempts",
    "next_attempt_at", "created_at",
)  # fmt: skip


# name, purl, direct, scope, locations (JSON text, written back as it is), first file
_Details = tuple[str, str | None, bool | None, str | None, str | None, str | None]


def _package_details(session: Session, ids: Sequence[int]) -> dict[int, _Details]:
    """What new findings copy from the packages they are about."""
    ip = InventoryPackage
    found: dict[int, _Details] = {}
    for chunk in _chunks(sorted(set(ids)), _IDS_PER_QUERY):
        query = select(
            ip.id,
            ip.name,
            ip.purl,
            ip.direct,
            ip.scope,
            _text(ip.locations),
            _first_path(ip.locations),
        ).where(_among(session, ip.id, chunk))
        for pid, *details in session.execute(query).all():
            found[pid] = tuple(details)
    return found


def _apply(
    session: Session, settings: Settings, run_id: int, plan: _Plan, now: datetime
) -> tuple[int, int, int]:
    """Write the plan; returns (branches changed, events, notifications)."""
    added: dict[Target, list[dict[str, Any]]] = defaultdict(list)
    closed: dict[Target, list[dict[str, Any]]] = defaultdict(list)
    if plan.new:
        details = _package_details(session, [o[1] for _, o, _, _ in plan.new])
        ids = allocate_ids(session, "finding", len(plan.new))
        rows = []
        for finding_id, (target, occurrence, values, suppression) in zip(
            ids, plan.new, strict=True
        ):
            ecosystem, package_id, norm, version, declared = occurrence
            name, purl, direct, scope, locations, source = details[package_id]
            rows.append(
                (
                    finding_id, target.scan_id, values["advisory_id"], values["aliases_json"],
                    values["summary"], values["severity"], values["score"], values["vector"],
                    values["fixed_json"], values["matched_range"], values["exact"],
                    values["admits_unaffected"], ecosystem, name, norm, version, declared, purl,
                    direct, scope, locations, _ANALYZERS_JSON, _MONITOR,
                    now, now, None, None, as_json(suppression),
                )
            )  # fmt: skip
            if suppression is None:
                added[target].append(
                    {
                        "finding_id": finding_id,
                        "advisory_id": values["advisory_id"],
                        "aliases": values["aliases"],
                        "severity": values["severity"],
                        "score": values["score"],
                        "summary": values["summary"][:MAX_SUMMARY],
                        "ecosystem": ecosystem,
                        "package": name,
                        "version": version,
                        "declared": declared,
                        "purl": purl,
                        "fixed": values["fixed"][:10],
                        "source": source or None,
                        "origin": _MONITOR,
                        "closed_reason": None,
                    }
                )
        insert_rows(session, "finding", _FINDING_COLUMNS, rows)
    if plan.closed:
        by_reason: dict[str, list[int]] = defaultdict(list)
        for _, finding, reason in plan.closed:
            by_reason[reason].append(finding.id)
        entries = _closed_entries(
            session, {f.id: reason for _, f, reason in plan.closed if not f.suppressed}
        )
        for target, finding, _ in plan.closed:
            if not finding.suppressed:
                closed[target].append(entries[finding.id])
        for reason, finding_ids in by_reason.items():
            for chunk in _chunks(finding_ids, _IDS_PER_QUERY):
                session.execute(
                    update(Finding)
                    .where(_among(session, Finding.id, chunk))
                    .values(closed_at=now, closed_reason=reason)
                    .execution_options(synchronize_session=False)
                )
    _update_totals(session, plan)
    return _record_events(session, settings, run_id, added, closed, now)


def _record_events(
    session: Session,
    settings: Settings,
    run_id: int,
    added: dict[Target, list[dict[str, Any]]],
    closed: dict[Target, list[dict[str, Any]]],
    now: datetime,
) -> tuple[int, int, int]:
    events: list[tuple[Target, EventKind, str, dict[str, Any]]] = []
    for target in sorted(set(added) | set(closed), key=lambda t: t.branch_id):
        for kind, entries in (
            (EventKind.NEW_FINDINGS, added.get(target)),
            (EventKind.FINDINGS_CLOSED, closed.get(target)),
        ):
            if not entries:
                continue
            shown, cut = listed(entries)
            if kind is EventKind.NEW_FINDINGS:
                summary = f"{vulnerabilities(len(entries), 'new')} from advisory run {run_id}"
            else:
                summary = f"{vulnerabilities(len(entries))} closed by advisory run {run_id}"
            payload = {
                "advisory_run_id": run_id,
                "count": len(entries),
                "counts": severity_counts(e["severity"] for e in entries),
                "findings": shown,
                "truncated": cut,
            }
            events.append((target, kind, summary, payload))
    if not events:
        return 0, 0, 0
    ids = allocate_ids(session, "event", len(events))
    insert_rows(
        session,
        "event",
        _EVENT_COLUMNS,
        [
            (
                event_id,
                target.project_id,
                target.branch,
                target.scan_id,
                run_id,
                kind.value,
                f"run:{run_id}:scan:{target.scan_id}:{kind.value}",
                summary,
                as_json(payload),
                now,
            )
            for event_id, (target, kind, summary, payload) in zip(ids, events, strict=True)
        ],
    )
    notifications = _notifications(
        session,
        [(i, t.project_id, k, p) for i, (t, k, _, p) in zip(ids, events, strict=True)],
        now,
    )
    return len({t.branch_id for t, *_ in events}), len(events), notifications


def _update_totals(session: Session, plan: _Plan) -> None:
    changes = {scan: c for scan, c in plan.totals.items() if any(c.values())}
    if not changes:
        return
    rows: list[tuple[str, str | None, int]] = []
    for chunk in _chunks(sorted(changes), _IDS_PER_QUERY):
        for scan_id, stored in session.execute(
            select(Scan.id, Scan.severity_counts).where(_among(session, Scan.id, chunk))
        ):
            if stored is None:
                # Written without counts: count the open active findings (new ones included).
                found = session.execute(
                    select(Finding.severity, Finding.suppression).where(
                        Finding.scan_id == scan_id, Finding.closed_at.is_(None)
                    )
                ).all()
                counts = severity_counts(sev for sev, supp in found if not supp)
            else:
                counts = severity_counts([])
                for key, value in stored.items():
                    if isinstance(value, int):
                        counts[severity_name(key)] += value
                for key, by in changes[scan_id].items():
                    counts[key] = max(0, counts[key] + by)
            rows.append((scan_id, as_json(counts), sum(counts.values())))
    update_rows(
        session,
        "scan",
        ("severity_counts", "total_vulnerabilities"),
        rows,
        casts={"severity_counts": "::jsonb", "total_vulnerabilities": "::integer"},
    )


def _notifications(
    session: Session,
    events: Sequence[tuple[int, str, EventKind, dict[str, Any]]],
    now: datetime,
) -> int:
    project_ids = sorted({project_id for _, project_id, _, _ in events})
    projects: dict[str, tuple[str, str, list[StoredChannel]]] = {}
    for chunk in _chunks(project_ids, _IDS_PER_QUERY):
        for pid, policy, minimum, channels in session.execute(
            select(
                Project.id, Project.notify_policy, Project.notify_min_severity, Project.channels
            ).where(_among(session, Project.id, chunk))
        ):
            if channels:
                opened = stored_channels(Project(channels=channels))
                if opened:
                    projects[pid] = (policy, minimum, opened)
    rows: list[tuple[Any, ...]] = []
    for event_id, project_id, kind, payload in events:
        config = projects.get(project_id)
        if config is None:
            continue
        policy, minimum, channels = config
        if not wants_notification(
            stored_policy(policy), stored_min_severity(minimum), kind, payload
        ):
            continue
        rows.extend(
            (
                event_id,
                project_id,
                channel.type,
                channel.id,
                channel_label(channel)[:255],
                _PENDING,
                0,
                now,
                now,
            )
            for channel in channels
        )
    insert_rows(session, "notification", _NOTIFICATION_COLUMNS, rows)
    return len(rows)


def process_run(
    db: Database, settings: Settings, run_id: int, *, now: datetime | None = None
) -> RunOutcome | None:
    """Process one advisory run; None when it was processed already (here or elsewhere)."""
    started = time.perf_counter()
    moment = now or utcnow()
    with db.session() as probe:
        if probe.get(MonitorRun, run_id) is not None:
            return None
        delta = get_delta(probe, run_id)
    if delta is None:
        return None
    matcher = Matcher.load(db, keys=delta.packages) if delta.packages else None
    try:
        with db.session() as session:
            # The claim comes first: on SQLite it takes the write lock before anything is read;
            # on PostgreSQL a concurrent claimer waits here, then fails on the primary key.
            # (No savepoint: pysqlite would commit it on its own.)
            claim = MonitorRun(
                advisory_run_id=run_id, processed_at=moment, branches_checked=0, events_created=0
            )
            session.add(claim)
            try:
                session.flush()
            except IntegrityError:
                raise RunClaimed(run_id) from None
            plan = _plan(session, matcher, delta) if matcher is not None else _Plan()
            changed, events, notifications = _apply(session, settings, run_id, plan, moment)
            claim.branches_checked = plan.checked
            claim.events_created = events
    except RunClaimed:
        return None
    outcome = RunOutcome(
        run_id=run_id,
        branches_checked=plan.checked,
        branches_changed=changed,
        findings_added=len(plan.new),
        findings_closed=len(plan.closed),
        events=events,
        notifications=notifications,
        seconds=time.perf_counter() - started,
    )
    log.info(
        "monitoring: advisory run %d (%d new, %d modified, %d withdrawn) checked %d branches: "
        "%d findings added, %d closed, %d events, %d notifications in %.2f s",
        run_id,
        len(delta.new),
        len(delta.modified),
        len(delta.withdrawn),
        outcome.branches_checked,
        outcome.findings_added,
        outcome.findings_closed,
        outcome.events,
        outcome.notifications,
        outcome.seconds,
    )
    return outcome


# A scan's matcher may lag the database by a moment (MatcherCache checks at most every second).
_CATCH_UP_MARGIN = timedelta(seconds=30)


def catch_up_scan(
    db: Database, settings: Settings, scan_id: str, *, now: datetime | None = None
) -> MonitorSummary:
    """Bring a scan that just became its branch's latest up to date with the advisory runs
    monitoring processed while it ran.

    A scan matches with the advisories its matcher had loaded when it started; a run that
    committed after that, and that monitoring processed while the branch's latest scan was
    still the previous one, would otherwise never reach this scan. Each such run is applied to
    this branch alone, exactly as monitoring applies it (its events name this scan); a run
    the scan already saw finds everything covered and changes nothing. Call it after the
    scan's own event is recorded (the scan-finished hook), so the findings it adds are
    announced once, as monitoring's.
    """
    moment = now or utcnow()
    with db.session() as session:
        scan = session.get(Scan, scan_id)
        if scan is None or scan.state not in _SUCCESSFUL:
            return MonitorSummary()
        branch = session.scalar(select(Branch).where(Branch.latest_scan_id == scan_id))
        project = session.get(Project, scan.project_id)
        if branch is None or project is None or not project.monitored:
            return MonitorSummary()
        since = (scan.started_at or scan.created_at) - _CATCH_UP_MARGIN
        runs = list(
            session.scalars(
                select(AdvisoryRun.id)
                .join(MonitorRun, MonitorRun.advisory_run_id == AdvisoryRun.id)
                .where(AdvisoryRun.finished_at >= since)
                .order_by(AdvisoryRun.id)
            )
        )
        branch_id = branch.id
    outcomes = []
    for run_id in runs:
        with db.session() as session:
            delta = get_delta(session, run_id)
        if delta is None or not delta.packages:
            continue
        started = time.perf_counter()
        matcher = Matcher.load(db, keys=delta.packages)
        try:
            with db.session() as session:
                plan = _plan(session, matcher, delta, branch_id=branch_id)
                changed, events, notifications = _apply(session, settings, run_id, plan, moment)
        except IntegrityError:  # a concurrent catch-up of this scan recorded the same events
            continue
        outcomes.append(
            RunOutcome(
                run_id=run_id,
                branches_checked=plan.checked,
                branches_changed=changed,
                findings_added=len(plan.new),
                findings_closed=len(plan.closed),
                events=events,
                notifications=notifications,
                seconds=time.perf_counter() - started,
            )
        )
    return MonitorSummary(tuple(outcomes))


def pending_runs(session: Session) -> list[int]:
    """Finished advisory runs monitoring has not processed, oldest first."""
    processed = select(MonitorRun.advisory_run_id)
    return list(
        session.scalars(
            select(AdvisoryRun.id)
            .where(AdvisoryRun.finished_at.is_not(None), AdvisoryRun.id.not_in(processed))
            .order_by(AdvisoryRun.id)
        )
    )


def process_pending_runs(
    db: Database, settings: Settings, *, now: datetime | None = None
) -> MonitorSummary:
    """Process every advisory run not processed yet, in id order, each once."""
    with db.session() as session:
        runs = pending_runs(session)
    outcomes: list[RunOutcome] = []
    skipped: list[int] = []
    for run_id in runs:
        outcome = process_run(db, settings, run_id, now=now)
        if outcome is None:
            skipped.append(run_id)
        else:
            outcomes.append(outcome)
    return MonitorSummary(tuple(outcomes), tuple(skipped))
