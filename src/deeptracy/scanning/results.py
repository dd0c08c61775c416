"""Stored scan results <-> domain values: inventories, findings, suppressions, reports.

The pipeline writes through these functions and the API, CLI and dashboard read through them,
so the mapping between rows and `Package` / `Finding` / `Report` lives in one place.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from deeptracy.analyzers.model import Finding
from deeptracy.ecosystems import normalize_name
from deeptracy.inventory.model import FileError, Inventory, Location, Package, Scope
from deeptracy.reports.model import AnalyzerState, AnalyzerStatus, Report, Target
from deeptracy.scanning.repo_config import IgnoreRule
from deeptracy.scanning.suppress import (
    Justification,
    SuppressedFinding,
    Suppression,
    SuppressionState,
)
from deeptracy.severity import Severity
from deeptracy.store.base import utcnow
from deeptracy.store.enums import AnalysisState
from deeptracy.store.models import (
    Analysis,
    AnalysisFinding,
    Project,
    Scan,
)
from deeptracy.store.models import (
    Finding as FindingRow,
)
from deeptracy.store.models import (
    Inventory as InventoryRow,
)
from deeptracy.store.models import (
    InventoryPackage as InventoryPackageRow,
)

# Column sizes of the package and finding tables: values from hostile files that do not fit
# are refused before they reach the database (see `fit_inventory`).
LIMITS = {"ecosystem": 64, "name": 512, "version": 255, "declared": 1024}
ADVISORY_ID_LIMIT = 128


class ScanNotFound(LookupError):
    pass


# ---- packages ----------------------------------------------------------------------------------


def fit_inventory(inventory: Inventory) -> Inventory:
    """The inventory without packages whose fields cannot be stored; each becomes an error."""
    kept: list[Package] = []
    errors = list(inventory.errors)
    for package in inventory.packages:
        values = {
            "ecosystem": package.ecosystem,
            "name": package.name,
            "version": package.version,
            "declared": package.declared,
        }
        too_long = [k for k, v in values.items() if v is not None and len(v) > LIMITS[k]]
        if too_long:
            field = too_long[0]
            errors.append(
                FileError(
                    package.source or ".",
                    f"a package {field} longer than {LIMITS[field]} characters; skipped",
                    package.locations[0].line if package.locations else None,
                )
            )
            continue
        kept.append(package)
    if len(kept) == len(inventory.packages):
        return inventory
    return Inventory(tuple(kept), tuple(sorted(set(errors))))


def package_columns(package: Package) -> dict[str, Any]:
    return {
        "ecosystem": package.ecosystem,
        "name": package.name,
        "normalized_name": normalize_name(package.ecosystem, package.name),
        "version": package.version,
        "declared": package.declared,
        "purl": package.purl,
        "direct": package.direct,
        "scope": package.scope.value if package.scope else None,
        "locations": [loc.to_dict() for loc in package.locations],
    }


def _locations(value: Any) -> tuple[Location, ...]:
    out = []
    for item in value or ():
        if isinstance(item, dict) and isinstance(item.get("path"), str):
            line = item.get("line")
            out.append(Location(item["path"], line if isinstance(line, int) else None))
    return tuple(out)


def _scope(value: str | None) -> Scope | None:
    try:
        return Scope(value) if value else None
    except ValueError:
        return None


def package_of(row: InventoryPackageRow | FindingRow | AnalysisFinding) -> Package:
    name = row.package_name if not isinstance(row, InventoryPackageRow) else row.name
    return Package(
        ecosystem=row.ecosystem,
        name=name,
        version=row.version,
        declared=row.declared,
        direct=row.direct,
        scope=_scope(row.scope),
        locations=_locations(row.locations),
        note=row.note if isinstance(row, InventoryPackageRow) else None,
        purl=row.purl,
    )


def save_inventory(session: Session, inventory: Inventory, fingerprint: str) -> int:
    """A new inventory row with its packages (bulk-inserted); returns its id."""
    row = InventoryRow(
        fingerprint=fingerprint,
        package_count=len(inventory.packages),
        errors=[e.to_dict() for e in inventory.errors],
    )
    session.add(row)
    session.flush()
    if inventory.packages:
        session.execute(
            insert(InventoryPackageRow),
            [
                {**package_columns(p), "inventory_id": row.id, "note": p.note}
                for p in inventory.packages
            ],
        )
    return row.id


def load_inventory(session: Session, inventory_id: int | None) -> Inventory:
    if inventory_id is None:
        return Inventory()
    row = session.get(InventoryRow, inventory_id)
    if row is None:
        return Inventory()
    packages = session.scalars(
        select(InventoryPackageRow)
        .where(InventoryPackageRow.inventory_id == inventory_id)
        .order_by(InventoryPackageRow.id)
    )
    errors = []
    for item in row.errors or ():
        if isinstance(item, dict):
            line = item.get("line")
            errors.append(
                FileError(
                    str(item.get("path", "")),
                    str(item.get("message", "")),
                    line if isinstance(line, int) else None,
                )
            )
    return Inventory(tuple(package_of(p) for p in packages), tuple(errors))


# ---- findings ----------------------------------------------------------------------------------


def finding_columns(finding: Finding) -> dict[str, Any]:
    package = finding.package
    columns = package_columns(package)
    columns["package_name"] = columns.pop("name")
    return {
        **columns,
        "advisory_id": finding.advisory_id,
        "aliases": list(finding.aliases),
        "summary": finding.summary,
        "severity": finding.severity.value,
        "score": finding.score,
        "vector": finding.vector,
        "fixed": list(finding.fixed),
        "matched_range": finding.matched_range,
        "exact": finding.exact,
        "admits_unaffected": finding.admits_unaffected,
    }


def finding_of(row: FindingRow | AnalysisFinding, analyzers: Sequence[str] = ()) -> Finding:
    try:
        severity = Severity(row.severity)
    except ValueError:
        severity = Severity.UNKNOWN
    names = row.analyzers if isinstance(row, FindingRow) else analyzers
    return Finding(
        package=package_of(row),
        advisory_id=row.advisory_id,
        summary=row.summary or "",
        severity=severity,
        aliases=tuple(row.aliases or ()),
        score=row.score,
        vector=row.vector,
        fixed=tuple(row.fixed or ()),
        matched_range=row.matched_range or "",
        exact=row.exact,
        admits_unaffected=row.admits_unaffected,
        analyzers=tuple(names or ()),
    )


def suppression_of(data: dict[str, Any] | None) -> Suppression | None:
    """A stored suppression document as a value; None for none (or one no longer readable)."""
    if not data:
        return None
    try:
        when = data.get("when")
        expires = data.get("expires")
        justification = data.get("justification")
        return Suppression(
            state=SuppressionState(data["state"]),
            reason=str(data.get("reason") or ""),
            source=str(data.get("source") or ""),
            who=data.get("who"),
            when=datetime.fromisoformat(when.replace("Z", "+00:00")) if when else None,
            expires=date.fromisoformat(expires) if expires else None,
            justification=Justification(justification) if justification else None,
            rule=data.get("rule"),
        )
    except (KeyError, ValueError, TypeError, AttributeError):
        return None


def insert_findings(
    session: Session, rows: Iterable[dict[str, Any]], model: type[FindingRow | AnalysisFinding]
) -> int:
    batch = list(rows)
    if batch:
        session.execute(insert(model), batch)
    return len(batch)


# ---- reports -----------------------------------------------------------------------------------


def _analyzer_status(row: Analysis) -> AnalyzerStatus:
    if row.state == AnalysisState.DONE:
        return AnalyzerStatus(row.analyzer, AnalyzerState.DONE)
    if row.state == AnalysisState.SKIPPED:
        return AnalyzerStatus(row.analyzer, AnalyzerState.SKIPPED, row.error)
    return AnalyzerStatus(
        row.analyzer, AnalyzerState.FAILED, row.error or f"the analysis is {row.state}"
    )


def expired_rules_of(repo_config: dict[str, Any] | None) -> tuple[IgnoreRule, ...]:
    rules = []
    for item in (repo_config or {}).get("expired_rules", ()):
        try:
            rules.append(IgnoreRule.model_validate(item))
        except ValueError:
            continue
    return tuple(rules)


def load_report(session: Session, scan_id: str) -> Report:
    """The report of a stored scan: its inventory, open findings (active and suppressed), the
    state of each analyzer and the ignore rules that had expired when it ran."""
    scan = session.get(Scan, scan_id)
    if scan is None:
        raise ScanNotFound(f"scan {scan_id} does not exist")
    project = session.get(Project, scan.project_id)
    rows = session.scalars(
        select(FindingRow)
        .where(FindingRow.scan_id == scan_id, FindingRow.closed_at.is_(None))
        .order_by(FindingRow.id)
    )
    active: list[Finding] = []
    suppressed: list[SuppressedFinding] = []
    for row in rows:
        finding = finding_of(row)
        suppression = suppression_of(row.suppression)
        if suppression is None:
            active.append(finding)
        else:
            suppressed.append(SuppressedFinding(finding, suppression))
    analyses = session.scalars(
        select(Analysis).where(Analysis.scan_id == scan_id).order_by(Analysis.id)
    )
    return Report(
        target=Target(
            name=project.name if project else scan.project_id,
            repository=project.repo if project else None,
            branch=scan.branch,
            commit=scan.commit_sha,
        ),
        generated_at=scan.finished_at or utcnow(),
        inventory=load_inventory(session, scan.inventory_id),
        findings=tuple(active),
        suppressed=tuple(suppressed),
        analyzers=tuple(_analyzer_status(a) for a in analyses),
        expired_rules=expired_rules_of(scan.repo_config),
    )


def analysis_findings(session: Session, scan_id: str, analyzer: str) -> list[Finding]:
    """One analyzer's findings in a scan, as it reported them (before the merge)."""
    analysis = session.scalar(
        select(Analysis).where(Analysis.scan_id == scan_id, Analysis.analyzer == analyzer)
    )
    if analysis is None:
        return []
    rows = session.scalars(
        select(AnalysisFinding)
        .where(AnalysisFinding.analysis_id == analysis.id)
        .order_by(AnalysisFinding.id)
    )
    return [finding_of(row, (analyzer,)) for row in rows]
