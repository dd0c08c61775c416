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
   ecosystem, normalized name, version, declared requirement and file):
   - a match for an advisory of the delta that no open finding covers (no shared advisory id
     or alias) becomes a new finding on the latest scan: origin `monitor`, `found_at` and
     `first_seen_at` now. Matches that name each other (aliases) become one finding, under the
     primary id the merge uses (database ids before CVE ids, then alphabetical);
   - an open finding that shares an id with an advisory of the delta and that no current match
     covers any more is closed: `closed_at` now and `closed_reason` "advisory withdrawn" or
     "advisory no longer covers <version>". Findings another analyzer (not `osv`) also
     reported stay open: that analyzer has not taken them back;
   - the scan's `total_vulnerabilities` and `severity_counts` follow;
5. records one NEW_FINDINGS and/or one FINDINGS_CLOSED event per changed branch with the
   findings in its payload, and queues their notifications by each project's policy.

Suppressions: a suppressed open finding (a `.deeptracy.yml` rule or a triage decision) covers
its ids like any open finding, so monitoring never adds it again as new. A new finding gets the
project's triage decision for its advisory and package when there is one. `.deeptracy.yml`
rules are not re-read (that needs the repository): they apply to a new advisory at the next
scan. A package whose version cannot be parsed is left alone (its findings are not closed).
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from deeptracy.advisories.matcher import AdvisoryMatch, Matcher, Query, QueryResult
from deeptracy.advisories.store import Delta, get_delta
from deeptracy.config import Settings
from deeptracy.events.channels import StoredChannel, channel_label, stored_channels
from deeptracy.events.history import (
    finding_entry,
    listed,
    severity_counts,
    severity_of,
)
from deeptracy.events.messages import vulnerabilities
from deeptracy.events.policy import stored_min_severity, stored_policy, wants_notification
from deeptracy.severity import Severity
from deeptracy.store.base import utcnow
from deeptracy.store.db import Database
from deeptracy.store.enums import DeliveryState, EventKind, FindingOrigin, ScanState
from deeptracy.store.models import (
    Advisory,
    AdvisoryRun,
    Branch,
    Event,
    Finding,
    InventoryPackage,
    MonitorRun,
    Notification,
    Project,
    Scan,
    Triage,
)

log = logging.getLogger(__name__)
FINDINGS = cast(Table, Finding.__table__)
SCANS = cast(Table, Scan.__table__)

ANALYZER = "osv"  # monitoring reads the same advisory database as the osv analyzer
_NAMES_PER_QUERY = 500
_IDS_PER_QUERY = 500
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


@dataclass(frozen=True, slots=True)
class _Target:
    branch_id: int
    project_id: str
    branch: str
    scan_id: str


@dataclass(frozen=True, slots=True)
class _Package:
    """A package row of a target's latest inventory."""

    id: int
    ecosystem: str
    normalized_name: str
    name: str
    version: str | None
    declared: str | None
    purl: str | None
    direct: bool | None
    scope: str | None
    locations: tuple[dict[str, Any], ...]

    @property
    def source(self) -> str:
        first = self.locations[0] if self.locations else None
        path = first.get("path") if isinstance(first, dict) else None
        return path if isinstance(path, str) else ""

    @property
    def identity(self) -> tuple[str, str, str, str, str]:
        return (
            self.ecosystem,
            self.normalized_name,
            self.version or "",
            self.declared or "",
            self.source,
        )


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def affected_packages(
    session: Session, pairs: Iterable[tuple[str, str]]
) -> dict[_Target, list[_Package]]:
    """Per monitored branch, the packages of its latest inventory that the pairs name."""
    by_ecosystem: dict[str, list[str]] = defaultdict(list)
    for ecosystem, name in sorted(set(pairs)):
        by_ecosystem[ecosystem].append(name)
    found: dict[_Target, list[_Package]] = defaultdict(list)
    targets: dict[tuple[int, str, str, str], _Target] = {}
    ip = InventoryPackage
    for ecosystem, names in by_ecosystem.items():
        for chunk in _chunks(names, _NAMES_PER_QUERY):
            query = (
                select(
                    Branch.id,
                    Branch.project_id,
                    Branch.name,
                    Scan.id,
                    ip.id,
                    ip.normalized_name,
                    ip.name,
                    ip.version,
                    ip.declared,
                    ip.purl,
                    ip.direct,
                    ip.scope,
                    ip.locations,
                )
                .select_from(ip)
                .join(Scan, Scan.inventory_id == ip.inventory_id)
                .join(Branch, Branch.latest_scan_id == Scan.id)
                .join(Project, Project.id == Branch.project_id)
                .where(
                    ip.ecosystem == ecosystem,
                    ip.normalized_name.in_(list(chunk)),
                    Project.monitored.is_(True),
                    Scan.state.in_(_SUCCESSFUL),
                )
            )
            for row in session.execute(query):
                key = (row[0], row[1], row[2], row[3])
                target = targets.get(key)
                if target is None:
                    target = targets[key] = _Target(row[0], row[1], row[2], row[3])
                found[target].append(
                    _Package(
                        id=row[4],
                        ecosystem=ecosystem,
                        normalized_name=row[5],
                        name=row[6],
                        version=row[7],
                        declared=row[8],
                        purl=row[9],
                        direct=row[10],
                        scope=row[11],
                        locations=tuple(row[12] or ()),
                    )
                )
    return found


@dataclass(frozen=True, slots=True)
class _Open:
    """An open finding of a target scan, reduced to what the comparison needs."""

    id: int
    scan_id: str
    identity: tuple[str, str, str, str, str]
    ids: frozenset[str]  # advisory id and aliases, casefolded
    severity: Severity
    suppressed: bool
    closable: bool  # only osv (or nobody else) reported it


_OPEN_COLUMNS = (
    Finding.id,
    Finding.scan_id,
    Finding.ecosystem,
    Finding.normalized_name,
    Finding.version,
    Finding.declared,
    Finding.locations,
    Finding.advisory_id,
    Finding.aliases,
    Finding.severity,
    Finding.suppression,
    Finding.analyzers,
)


def _open_findings(
    session: Session, scan_ids: Sequence[str], pairs: set[tuple[str, str]]
) -> dict[str, list[_Open]]:
    names = sorted({n for _, n in pairs})
    found: dict[str, list[_Open]] = defaultdict(list)
    for chunk in _chunks(sorted(scan_ids), _IDS_PER_QUERY):
        query = select(*_OPEN_COLUMNS).where(
            Finding.scan_id.in_(list(chunk)), Finding.closed_at.is_(None)
        )
        if len(names) <= _NAMES_PER_QUERY:
            query = query.where(Finding.normalized_name.in_(names))
        for row in session.execute(query):
            (fid, scan_id, eco, norm, version, declared, locations, aid, aliases, sev, supp, an) = (
                row
            )
            if (eco, norm) not in pairs:
                continue
            first = locations[0] if locations else None
            source = first.get("path") if isinstance(first, dict) else None
            found[scan_id].append(
                _Open(
                    id=fid,
                    scan_id=scan_id,
                    identity=(
                        eco,
                        norm,
                        version or "",
                        declared or "",
                        source if isinstance(source, str) else "",
                    ),
                    ids=frozenset({aid.casefold(), *(a.casefold() for a in aliases or ())}),
                    severity=severity_of(sev),
                    suppressed=bool(supp),
                    closable=set(an or ()) <= {ANALYZER},
                )
            )
    return found


def _triage(
    session: Session, project_ids: Sequence[str], pairs: set[tuple[str, str]]
) -> dict[tuple[str, str, str], list[tuple[str, dict[str, Any]]]]:
    """(project, ecosystem, name) -> [(advisory id casefolded, suppression document)]."""
    found: dict[tuple[str, str, str], list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    for chunk in _chunks(sorted(project_ids), _IDS_PER_QUERY):
        for row in session.scalars(select(Triage).where(Triage.project_id.in_(list(chunk)))):
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


# ---- matching -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Answer:
    """Current matches of one (ecosystem, name, version, declared), or why there are none."""

    matches: tuple[AdvisoryMatch, ...]
    usable: bool  # False: the version could not be read, so nothing may be closed


def _undecided(matcher: Matcher, query: Query, result: QueryResult) -> list[AdvisoryMatch]:
    """Advisories whose ranges could not be evaluated: possible findings, as the osv analyzer
    reports them."""
    if not result.undecided:
        return []
    compiled = matcher.index.package(query.ecosystem, query.name)
    wanted = set(result.undecided)
    extra = []
    for advisory in compiled.advisories if compiled else ():
        if advisory.meta.id not in wanted:
            continue
        extra.append(
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
        )
    return extra


class _Answers:
    def __init__(self, matcher: Matcher) -> None:
        self.matcher = matcher
        self._cache: dict[tuple[str, str, str | None, str | None], _Answer] = {}

    def get(self, package: _Package) -> _Answer | None:
        if package.version is None and package.declared is None:
            return None  # VCS, path or URL dependency: never queried
        key = (package.ecosystem, package.normalized_name, package.version, package.declared)
        answer = self._cache.get(key)
        if answer is None:
            query = Query(
                package.ecosystem, package.normalized_name, package.version, package.declared
            )
            result = self.matcher.match_one(query)
            usable = not (result.error and not result.undecided)
            matches = (*result.matches, *_undecided(self.matcher, query, result))
            answer = self._cache[key] = _Answer(tuple(matches), usable)
        return answer


def _match_ids(match: AdvisoryMatch) -> frozenset[str]:
    return frozenset({match.advisory_id.casefold(), *(a.casefold() for a in match.aliases)})


def primary_id(ids: Iterable[str]) -> str:
    """The id a merged finding goes by: database ids before CVE ids, then alphabetical."""
    return min(ids, key=lambda i: (i.upper().startswith("CVE-"), i.upper(), i))


def _groups(matches: Sequence[AdvisoryMatch]) -> list[list[AdvisoryMatch]]:
    """Matches that share an id (transitively) belong to one vulnerability."""
    groups: list[tuple[set[str], list[AdvisoryMatch]]] = []
    for match in matches:
        ids = set(_match_ids(match))
        joined = [g for g in groups if g[0] & ids]
        merged_ids, merged = ids, [match]
        for group in joined:
            merged_ids |= group[0]
            merged.extend(group[1])
            groups.remove(group)
        groups.append((merged_ids, merged))
    return [g[1] for g in groups]


def _merged_row(group: Sequence[AdvisoryMatch]) -> dict[str, Any]:
    primary = primary_id(m.advisory_id for m in group)
    lead = next(m for m in group if m.advisory_id == primary)
    ids = {m.advisory_id for m in group} | {a for m in group for a in m.aliases}
    worst = max(group, key=lambda m: (m.severity.rank, m.score or -1.0))
    scored = max(group, key=lambda m: m.score if m.score is not None else -1.0)
    fixed = list(dict.fromkeys(f for m in (lead, *group) for f in m.fixed))
    exact = any(m.exact for m in group)
    return {
        "advisory_id": primary,
        "aliases": sorted(ids - {primary}),
        "summary": lead.summary or next((m.summary for m in group if m.summary), ""),
        "severity": worst.severity.value,
        "score": scored.score,
        "vector": scored.vector,
        "fixed": fixed,
        "matched_range": "; ".join(
            dict.fromkeys(m.matched_range for m in group if m.matched_range)
        ),
        "exact": exact,
        "admits_unaffected": None
        if exact
        else any(bool(m.admits_unaffected) for m in group)
        if any(m.admits_unaffected is not None for m in group)
        else None,
    }


# ---- one run ------------------------------------------------------------------------------------


@dataclass
class _Plan:
    checked: int = 0
    new_rows: list[dict[str, Any]] = field(default_factory=list)
    new_targets: list[_Target] = field(default_factory=list)  # parallel to new_rows
    closed: list[tuple[int, _Target, str]] = field(default_factory=list)  # (finding, target, why)
    # Active-count changes per scan, by severity.
    totals: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))


def _bump(plan: _Plan, scan_id: str, severity: str, by: int) -> None:
    counts = plan.totals[scan_id]
    counts[severity] = counts.get(severity, 0) + by


def _plan(session: Session, matcher: Matcher, delta: Delta, now: datetime) -> _Plan:
    changed = {i.casefold() for i in (*delta.new, *delta.modified, *delta.withdrawn)}
    changed_exact = set(delta.new) | set(delta.modified) | set(delta.withdrawn)
    # Withdrawn now (a run processed late may see a later run's withdrawal).
    withdrawn = {i.casefold() for i in _withdrawn(session, sorted(changed_exact))}
    pairs = set(delta.packages)
    packages = affected_packages(session, pairs)
    plan = _Plan(checked=len(packages))
    if not packages:
        return plan
    open_by_scan = _open_findings(session, [t.scan_id for t in packages], pairs)
    triage = _triage(session, sorted({t.project_id for t in packages}), pairs)
    answers = _Answers(matcher)
    for target, rows in packages.items():
        open_by_identity: dict[tuple[str, str, str, str, str], list[_Open]] = defaultdict(list)
        for finding in open_by_scan.get(target.scan_id, ()):
            open_by_identity[finding.identity].append(finding)
        seen_identities: set[tuple[str, str, str, str, str]] = set()
        for package in rows:
            identity = package.identity
            if identity in seen_identities:
                continue  # the same package twice in one inventory: once is enough
            seen_identities.add(identity)
            answer = answers.get(package)
            if answer is None:
                continue
            current = answer.matches
            existing = open_by_identity.get(identity, [])
            covered = frozenset().union(*(f.ids for f in existing)) if existing else frozenset()
            # New: matches of the delta's advisories that no open finding covers.
            fresh = [
                m
                for m in current
                if m.advisory_id in changed_exact and not (_match_ids(m) & covered)
            ]
            for group in _groups(fresh):
                row = _merged_row(group)
                decision = _triage_for(triage, target.project_id, package, row)
                plan.new_rows.append(_finding_row(target, package, row, decision, now))
                plan.new_targets.append(target)
                if decision is None:
                    _bump(plan, target.scan_id, row["severity"], 1)
            # Closed: open findings of the delta's advisories that nothing matches any more.
            if not answer.usable:
                continue
            still = frozenset().union(*(_match_ids(m) for m in current)) if current else frozenset()
            for finding in existing:
                if not finding.closable or not (finding.ids & changed) or finding.ids & still:
                    continue
                if finding.ids & withdrawn:
                    reason = "advisory withdrawn"
                elif package.version is not None:
                    reason = f"advisory no longer covers {package.version}"
                else:
                    reason = f"advisory no longer covers the declared range {package.declared}"
                plan.closed.append((finding.id, target, reason))
                if not finding.suppressed:
                    _bump(plan, target.scan_id, finding.severity.value, -1)
    return plan


def _withdrawn(session: Session, ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(ids, _IDS_PER_QUERY):
        found.update(
            session.scalars(
                select(Advisory.id).where(
                    Advisory.id.in_(list(chunk)), Advisory.withdrawn.is_not(None)
                )
            )
        )
    return found


def _triage_for(
    triage: dict[tuple[str, str, str], list[tuple[str, dict[str, Any]]]],
    project_id: str,
    package: _Package,
    row: dict[str, Any],
) -> dict[str, Any] | None:
    decisions = triage.get((project_id, package.ecosystem, package.normalized_name))
    if not decisions:
        return None
    ids = {row["advisory_id"].casefold(), *(a.casefold() for a in row["aliases"])}
    return next((doc for advisory, doc in decisions if advisory in ids), None)


def _finding_row(
    target: _Target,
    package: _Package,
    merged: dict[str, Any],
    suppression: dict[str, Any] | None,
    now: datetime,
) -> dict[str, Any]:
    return {
        **merged,
        "scan_id": target.scan_id,
        "ecosystem": package.ecosystem,
        "package_name": package.name,
        "normalized_name": package.normalized_name,
        "version": package.version,
        "declared": package.declared,
        "purl": package.purl,
        "direct": package.direct,
        "scope": package.scope,
        "locations": list(package.locations),
        "analyzers": [ANALYZER],
        "origin": FindingOrigin.MONITOR.value,
        "first_seen_at": now,
        "found_at": now,
        "closed_at": None,
        "closed_reason": None,
        "suppression": suppression,
    }


def _entry(
    row: dict[str, Any], finding_id: int, closed_reason: str | None = None
) -> dict[str, Any]:
    """A payload entry from row values (the same shape as `history.finding_entry`)."""
    locations = row.get("locations") or []
    source = locations[0].get("path") if locations and isinstance(locations[0], dict) else None
    return {
        "finding_id": finding_id,
        "advisory_id": row["advisory_id"],
        "aliases": list(row.get("aliases") or []),
        "severity": severity_of(row.get("severity")).value,
        "score": row.get("score"),
        "summary": str(row.get("summary") or "")[:300],
        "ecosystem": row["ecosystem"],
        "package": row["package_name"],
        "version": row.get("version"),
        "declared": row.get("declared"),
        "purl": row.get("purl"),
        "fixed": list(row.get("fixed") or [])[:10],
        "source": source if isinstance(source, str) else None,
        "origin": row.get("origin"),
        "closed_reason": closed_reason,
    }


def _apply(
    session: Session, settings: Settings, run_id: int, plan: _Plan, now: datetime
) -> tuple[int, int, int]:
    """Write the plan; returns (branches changed, events, notifications)."""
    added: dict[_Target, list[dict[str, Any]]] = defaultdict(list)
    if plan.new_rows:
        ids = (
            session.execute(
                insert(Finding).returning(Finding.id, sort_by_parameter_order=True), plan.new_rows
            )
            .scalars()
            .all()
        )
        for finding_id, row, target in zip(ids, plan.new_rows, plan.new_targets, strict=True):
            if row["suppression"] is None:
                added[target].append(_entry(row, finding_id))
    closed: dict[_Target, list[dict[str, Any]]] = defaultdict(list)
    if plan.closed:
        session.connection().execute(
            update(FINDINGS)
            .where(FINDINGS.c.id == bindparam("b_id"))
            .values(closed_at=bindparam("b_at"), closed_reason=bindparam("b_reason")),
            [{"b_id": fid, "b_at": now, "b_reason": why} for fid, _, why in plan.closed],
        )
        reasons = {fid: why for fid, _, why in plan.closed}
        target_of = {fid: target for fid, target, _ in plan.closed}
        for chunk in _chunks(sorted(reasons), _IDS_PER_QUERY):
            for finding in session.scalars(select(Finding).where(Finding.id.in_(list(chunk)))):
                if not finding.suppression:
                    entry = finding_entry(finding, reasons[finding.id])
                    closed[target_of[finding.id]].append(entry)
    _update_totals(session, plan)

    events: list[dict[str, Any]] = []
    for target in sorted(set(added) | set(closed), key=lambda t: t.branch_id):
        for kind, entries, verb in (
            (EventKind.NEW_FINDINGS, added.get(target), "new"),
            (EventKind.FINDINGS_CLOSED, closed.get(target), "closed"),
        ):
            if not entries:
                continue
            shown, cut = listed(entries)
            summary = (
                f"{vulnerabilities(len(entries), 'new')} from advisory run {run_id}"
                if verb == "new"
                else f"{vulnerabilities(len(entries))} closed by advisory run {run_id}"
            )
            events.append(
                {
                    "project_id": target.project_id,
                    "branch": target.branch,
                    "scan_id": target.scan_id,
                    "advisory_run_id": run_id,
                    "kind": kind.value,
                    "dedupe_key": f"run:{run_id}:branch:{target.branch_id}:{kind.value}",
                    "summary": summary,
                    "payload": {
                        "advisory_run_id": run_id,
                        "count": len(entries),
                        "counts": severity_counts(e["severity"] for e in entries),
                        "findings": shown,
                        "truncated": cut,
                    },
                    "created_at": now,
                }
            )
    if not events:
        return 0, 0, 0
    event_ids = (
        session.execute(insert(Event).returning(Event.id, sort_by_parameter_order=True), events)
        .scalars()
        .all()
    )
    notifications = _notifications(
        session, settings, list(zip(event_ids, events, strict=True)), now
    )
    changed = len({(e["project_id"], e["branch"]) for e in events})
    return changed, len(events), notifications


def _update_totals(session: Session, plan: _Plan) -> None:
    changes = {scan: c for scan, c in plan.totals.items() if any(c.values())}
    if not changes:
        return
    rows = []
    for chunk in _chunks(sorted(changes), _IDS_PER_QUERY):
        for scan_id, stored in session.execute(
            select(Scan.id, Scan.severity_counts).where(Scan.id.in_(list(chunk)))
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
                        counts[severity_of(key).value] += value
                for key, by in changes[scan_id].items():
                    counts[key] = max(0, counts[key] + by)
            rows.append({"b_id": scan_id, "b_counts": counts, "b_total": sum(counts.values())})
    session.connection().execute(
        update(SCANS)
        .where(SCANS.c.id == bindparam("b_id"))
        .values(severity_counts=bindparam("b_counts"), total_vulnerabilities=bindparam("b_total")),
        rows,
    )


def _notifications(
    session: Session,
    settings: Settings,
    events: Sequence[tuple[int, dict[str, Any]]],
    now: datetime,
) -> int:
    project_ids = sorted({e["project_id"] for _, e in events})
    projects: dict[str, tuple[str, str, list[StoredChannel]]] = {}
    for chunk in _chunks(project_ids, _IDS_PER_QUERY):
        for project in session.scalars(select(Project).where(Project.id.in_(list(chunk)))):
            channels = stored_channels(project)
            if channels:
                projects[project.id] = (
                    project.notify_policy,
                    project.notify_min_severity,
                    channels,
                )
    rows: list[dict[str, Any]] = []
    for event_id, event in events:
        config = projects.get(event["project_id"])
        if config is None:
            continue
        policy, minimum, channels = config
        if not wants_notification(
            stored_policy(policy), stored_min_severity(minimum), event["kind"], event["payload"]
        ):
            continue
        rows.extend(
            {
                "event_id": event_id,
                "project_id": event["project_id"],
                "channel": channel.type,
                "channel_id": channel.id,
                "target": channel_label(channel)[:255],
                "state": DeliveryState.PENDING.value,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for channel in channels
        )
    if rows:
        session.execute(insert(Notification), rows)
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
            plan = _plan(session, matcher, delta, moment) if matcher is not None else _Plan()
            changed, events, notifications = _apply(session, settings, run_id, plan, moment)
            claim.branches_checked = plan.checked
            claim.events_created = events
    except RunClaimed:
        return None
    outcome = RunOutcome(
        run_id=run_id,
        branches_checked=plan.checked,
        branches_changed=changed,
        findings_added=len(plan.new_rows),
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
