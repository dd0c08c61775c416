"""State set-up for event tests: projects, branches, scans, inventories and findings as rows
(what the pipeline would have stored), written through the ORM."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from deeptracy.ecosystems import normalize_name, purl_for
from deeptracy.store.base import utcnow
from deeptracy.store.enums import ScanState
from deeptracy.store.models import (
    Branch,
    Finding,
    Inventory,
    InventoryPackage,
    Project,
    Scan,
)

_clock = [utcnow() - timedelta(days=1)]


def tick() -> datetime:
    """Strictly increasing creation times, so "previous scan" is well defined."""
    _clock[0] += timedelta(seconds=1)
    return _clock[0]


def make_project(
    session: Session,
    name: str = "shop",
    *,
    policy: str = "new",
    min_severity: str = "LOW",
    monitored: bool = True,
    channels: list[dict[str, Any]] | None = None,
) -> Project:
    project = Project(
        name=name,
        repo=f"https://git.example.com/acme/{name}.git",
        repo_key=f"git.example.com/acme/{name}-{tick().timestamp()}",
        notify_policy=policy,
        notify_min_severity=min_severity,
        monitored=monitored,
        channels=channels or [],
    )
    session.add(project)
    session.flush()
    return project


def pkg(
    ecosystem: str,
    name: str,
    version: str | None = None,
    *,
    declared: str | None = None,
    source: str = "requirements.txt",
    line: int | None = 1,
) -> dict[str, Any]:
    return {
        "ecosystem": ecosystem,
        "name": name,
        "normalized_name": normalize_name(ecosystem, name),
        "version": version,
        "declared": declared,
        "purl": purl_for(ecosystem, name, version),
        "direct": True,
        "scope": None,
        "locations": [{"path": source, "line": line}],
    }


def finding(
    advisory_id: str,
    package: dict[str, Any],
    severity: str = "HIGH",
    *,
    aliases: Sequence[str] = (),
    summary: str | None = None,
    fixed: Sequence[str] = (),
    suppression: dict[str, Any] | None = None,
    analyzers: Sequence[str] = ("osv",),
    score: float | None = None,
) -> dict[str, Any]:
    return {
        "advisory_id": advisory_id,
        "aliases": list(aliases),
        "summary": summary if summary is not None else f"summary of {advisory_id}",
        "severity": severity,
        "score": score,
        "fixed": list(fixed),
        "matched_range": "",
        "exact": package["version"] is not None,
        "ecosystem": package["ecosystem"],
        "package_name": package["name"],
        "normalized_name": package["normalized_name"],
        "version": package["version"],
        "declared": package["declared"],
        "purl": package["purl"],
        "direct": package["direct"],
        "scope": package["scope"],
        "locations": package["locations"],
        "analyzers": list(analyzers),
        "suppression": suppression,
    }


def make_inventory(session: Session, packages: Sequence[dict[str, Any]]) -> Inventory:
    inventory = Inventory(fingerprint=f"fp-{tick().timestamp()}", package_count=len(packages))
    session.add(inventory)
    session.flush()
    session.add_all(InventoryPackage(inventory_id=inventory.id, **p) for p in packages)
    return inventory


def make_scan(
    session: Session,
    project: Project,
    branch: str = "main",
    packages: Sequence[dict[str, Any]] = (),
    findings: Sequence[dict[str, Any]] = (),
    *,
    state: ScanState = ScanState.DONE,
    inventory: Inventory | None = None,
    latest: bool = True,
    commit: str = "0123456789abcdef0123456789abcdef01234567",
    failure_reason: str | None = None,
    failure_detail: str | None = None,
) -> Scan:
    """A finished scan with its inventory and findings; it becomes the branch's latest scan
    (unless `latest=False` or it failed)."""
    if inventory is None and state != ScanState.FAILED:
        inventory = make_inventory(session, packages)
    created = tick()
    active = [f for f in findings if not f.get("suppression")]
    counts: dict[str, int] = {}
    for f in active:
        counts[f["severity"]] = counts.get(f["severity"], 0) + 1
    scan = Scan(
        project_id=project.id,
        branch=branch,
        commit_sha=commit,
        trigger="api",
        state=state,
        created_at=created,
        finished_at=created,
        inventory_id=inventory.id if inventory else None,
        total_packages=inventory.package_count if inventory else None,
        total_vulnerabilities=len(active) if state != ScanState.FAILED else None,
        severity_counts=counts if state != ScanState.FAILED else None,
        failure_reason=failure_reason,
        failure_detail=failure_detail,
    )
    session.add(scan)
    session.flush()
    session.add_all(
        Finding(scan_id=scan.id, first_seen_at=created, found_at=created, **f) for f in findings
    )
    if latest and state != ScanState.FAILED:
        row = session.query(Branch).filter_by(project_id=project.id, name=branch).one_or_none()
        if row is None:
            session.add(
                Branch(
                    project_id=project.id, name=branch, latest_scan_id=scan.id, last_scan_at=created
                )
            )
        else:
            row.latest_scan_id = scan.id
            row.last_scan_at = created
    session.flush()
    return scan
