"""Monitoring benchmark: a 500-advisory delta against 10,000 branches x 300 dependencies.

    .venv/bin/python bench/bench_monitoring.py [sqlite] [postgresql] [--branches N] [--deps N]
                                               [--universe N] [--advisories N] [--seed N]
                                               [--popular SHARE]

A synthetic portfolio: 2,000 projects x 5 branches, each branch's latest scan reading its own
inventory of 300 packages drawn from a universe of 20,000 (npm, PyPI, Maven, Go) with Zipf-like
popularity, so popular packages sit in most inventories and the long tail in few, as in real
portfolios; 8 versions per package, newer ones more used. A baseline import of 1,000 advisories
(already monitored) and the findings it gives every branch are stored; 10 % of the projects
have a notification channel. Then a delta of 500 advisories is imported through the advisory
importer (400 new on packages drawn like real advisories: 99 % from the whole universe, 1 %
from the 200 most popular, which alone put a finding in most branches; 75 baseline ranges
narrowed; 25 withdrawn; `--popular 0.04` is a stress variant), and the timed step is
`process_pending_runs`: affected branches found through the (ecosystem, normalized_name,
inventory_id) index, re-matched, findings added and closed, scan totals updated, one event
per changed branch and kind, notifications queued. Target: under 5 s on each backend.

Seeding (bulk inserts, COPY on PostgreSQL) is not timed. PostgreSQL is reached through
DEEPTRACY_BENCH_POSTGRES (default postgresql://postgres@127.0.0.1:5432/postgres), where a
scratch database is created and dropped.
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text

from deeptracy.advisories.http import HttpClient
from deeptracy.advisories.sync import import_location
from deeptracy.config import Settings
from deeptracy.ecosystems import normalize_name, purl_for
from deeptracy.events.channels import set_channels
from deeptracy.events.monitoring import process_pending_runs
from deeptracy.store.db import Database, upgrade
from deeptracy.store.models import Branch, Inventory, MonitorRun, Project, Scan
from deeptracy.vault import Vault

POSTGRES = os.environ.get(
    "DEEPTRACY_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)
SELF = "bench/bench_monitoring.py"
TARGET = 5.0
ECOSYSTEMS = (("npm", 0.45), ("PyPI", 0.30), ("Maven", 0.15), ("Go", 0.10))
VERSIONS = 8  # 1.0.0 .. 1.7.0
NOW = datetime(2024, 6, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Universe:
    ecosystems: list[str]
    names: list[str]
    cumulative: list[float]  # popularity, for weighted draws

    def version(self, rng: random.Random) -> int:
        # Newer versions are more used: weights 1..8.
        return min(VERSIONS - 1, int((rng.random() ** 0.5) * VERSIONS))


def make_universe(size: int, rng: random.Random) -> Universe:
    ecosystems, names, cumulative, total = [], [], [], 0.0
    for i in range(size):
        draw, acc = rng.random(), 0.0
        ecosystem = ECOSYSTEMS[-1][0]
        for eco, share in ECOSYSTEMS:
            acc += share
            if draw < acc:
                ecosystem = eco
                break
        if ecosystem == "Maven":
            name = f"org.example{i % 97}:lib-{i}"
        elif ecosystem == "Go":
            name = f"github.com/org{i % 89}/mod{i}"
        else:
            name = f"pkg-{i}"
        ecosystems.append(ecosystem)
        names.append(name)
        total += 1.0 / (i + 20) ** 1.05
        cumulative.append(total)
    return Universe(ecosystems, names, cumulative)


def draw_packages(universe: Universe, count: int, rng: random.Random) -> list[int]:
    chosen: set[int] = set()
    top = universe.cumulative[-1]
    while len(chosen) < count:
        chosen.add(bisect.bisect_left(universe.cumulative, rng.random() * top))
    return sorted(chosen)


def version_text(ecosystem: str, minor: int) -> str:
    return f"v1.{minor}.0" if ecosystem == "Go" else f"1.{minor}.0"


def record(
    advisory_id: str,
    universe: Universe,
    package: int,
    fixed_minor: int,
    *,
    modified: str,
    withdrawn: str | None = None,
    severity: str = "HIGH",
) -> dict[str, Any]:
    ecosystem = universe.ecosystems[package]
    data: dict[str, Any] = {
        "schema_version": "1.6.0",
        "id": advisory_id,
        "modified": modified,
        "summary": f"synthetic advisory {advisory_id}",
        "aliases": [f"CVE-2024-{advisory_id.split('-')[-1]}"],
        "database_specific": {"severity": severity},
        "affected": [
            {
                "package": {"ecosystem": ecosystem, "name": universe.names[package]},
                "ranges": [
                    {
                        "type": "SEMVER" if ecosystem == "Go" else "ECOSYSTEM",
                        "events": [{"introduced": "0"}, {"fixed": f"1.{fixed_minor}.0"}],
                    }
                ],
            }
        ],
    }
    if withdrawn:
        data["withdrawn"] = withdrawn
    return data


def write_records(root: Path, records: list[dict[str, Any]]) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for item in records:
        (root / f"{item['id']}.json").write_text(json.dumps(item))


@contextmanager
def scratch_database(backend: str, workdir: Path) -> Iterator[Database]:
    if backend == "sqlite":
        db = Database(f"sqlite:///{workdir / 'bench.db'}")
        try:
            yield db
        finally:
            db.dispose()
        return
    import psycopg

    name = f"deeptracy_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    db = Database(POSTGRES.rsplit("/", 1)[0] + f"/{name}")
    try:
        yield db
    finally:
        db.dispose()
        with psycopg.connect(POSTGRES, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW")


def seed(db: Database, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    rng = random.Random(args.seed)
    universe = make_universe(args.universe, rng)
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, deeptracy_home=workdir, secret_key="bench-secret-key-0123456789abcdef"
    )
    vault = Vault.from_settings(settings)
    channel_project = Project(name="x", channels=[])
    set_channels(
        channel_project,
        settings,
        vault,
        [{"type": "slack", "url": "https://hooks.slack.com/services/T0/B0/benchmarktoken0001"}],
    )
    channels = channel_project.channels

    # Baseline advisories (run 1), on the 5,000 most popular packages.
    baseline: dict[int, list[tuple[str, int, str]]] = {}
    records = []
    for n in range(1000):
        package = rng.randrange(5000)
        fixed_minor = rng.randrange(1, VERSIONS)
        severity = rng.choice(SEVERITIES)
        advisory = f"GHSA-base-{n:05d}"
        baseline.setdefault(package, []).append((advisory, fixed_minor, severity))
        records.append(
            record(
                advisory,
                universe,
                package,
                fixed_minor,
                modified="2024-01-01T00:00:00Z",
                severity=severity,
            )
        )
    write_records(workdir / "run1", records)
    with HttpClient() as client:
        run1 = import_location(db, str(workdir / "run1"), client=client).run_id

    projects, branches, scans, inventories = [], [], [], []
    packages: list[tuple[Any, ...]] = []
    findings: list[tuple[Any, ...]] = []
    projects_count = args.branches // 5
    for p in range(projects_count):
        project_id = str(uuid.UUID(int=rng.getrandbits(128)))
        projects.append(
            {
                "id": project_id,
                "name": f"project-{p}",
                "repo": f"https://git.example.com/org/project-{p}.git",
                "repo_key": f"git.example.com/org/project-{p}",
                "auth_type": "PUBLIC",
                "monitored": True,
                "notify_policy": "always" if p % 2 else "new",
                "notify_min_severity": "LOW",
                "channels": channels if p % 10 == 0 else [],
                "created_at": NOW,
                "updated_at": NOW,
            }
        )
        for b in range(5):
            inventory_id = len(inventories) + 1
            scan_id = str(uuid.UUID(int=rng.getrandbits(128)))
            chosen = draw_packages(universe, args.deps, rng)
            counts = dict.fromkeys(SEVERITIES, 0)
            for package in chosen:
                ecosystem, name = universe.ecosystems[package], universe.names[package]
                minor = universe.version(rng)
                version = version_text(ecosystem, minor)
                normalized = normalize_name(ecosystem, name)
                source = {
                    "npm": "package-lock.json",
                    "PyPI": "poetry.lock",
                    "Maven": "pom.xml",
                }.get(ecosystem, "go.mod")
                locations = json.dumps([{"path": source, "line": None}])
                purl = purl_for(ecosystem, name, version)
                packages.append(
                    (
                        inventory_id,
                        ecosystem,
                        name,
                        normalized,
                        version,
                        None,
                        purl,
                        True,
                        None,
                        locations,
                    )
                )
                for advisory, fixed_minor, severity in baseline.get(package, ()):
                    if minor < fixed_minor:
                        counts[severity] += 1
                        findings.append(
                            (
                                scan_id,
                                advisory,
                                json.dumps([f"CVE-2024-{advisory.split('-')[-1]}"]),
                                f"synthetic advisory {advisory}",
                                severity,
                                json.dumps([version_text(ecosystem, fixed_minor).lstrip("v")]),
                                ecosystem,
                                name,
                                normalized,
                                version,
                                purl,
                                locations,
                            )
                        )
            inventories.append(
                {
                    "id": inventory_id,
                    "fingerprint": uuid.uuid4().hex,
                    "package_count": len(chosen),
                    "errors": [],
                    "created_at": NOW,
                }
            )
            scans.append(
                {
                    "id": scan_id,
                    "project_id": project_id,
                    "branch": f"branch-{b}",
                    "commit_sha": "0" * 40,
                    "trigger": "api",
                    "state": "DONE",
                    "created_at": NOW,
                    "finished_at": NOW,
                    "attempts": 1,
                    "inventory_id": inventory_id,
                    "total_packages": len(chosen),
                    "total_vulnerabilities": sum(counts.values()),
                    "severity_counts": counts,
                }
            )
            branches.append(
                {
                    "project_id": project_id,
                    "name": f"branch-{b}",
                    "latest_scan_id": scan_id,
                    "last_scan_at": NOW,
                }
            )

    with db.session() as session:
        session.execute(insert(Project), projects)
        session.execute(insert(Inventory), inventories)
        session.execute(insert(Scan), scans)
        session.execute(insert(Branch), branches)
        session.add(MonitorRun(advisory_run_id=run1, processed_at=NOW))
    bulk_packages(db, packages)
    bulk_findings(db, findings)
    if db.dialect == "postgresql":
        with db.engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()

    # The delta (run 2): 400 new, 75 narrowed, 25 withdrawn.
    delta = []
    top = universe.cumulative[199]
    for n in range(args.advisories * 4 // 5):
        if rng.random() < args.popular:
            package = bisect.bisect_left(universe.cumulative, rng.random() * top)
        else:
            package = rng.randrange(len(universe.names))
        delta.append(
            record(
                f"GHSA-new-{n:05d}",
                universe,
                package,
                rng.randrange(1, VERSIONS),
                modified="2024-05-01T00:00:00Z",
                severity=rng.choice(SEVERITIES),
            )
        )
    changed = rng.sample(
        sorted({a for entries in baseline.values() for a, _, _ in entries}), args.advisories // 5
    )
    by_id = {a: (pkg, fixed, sev) for pkg, entries in baseline.items() for a, fixed, sev in entries}
    for i, advisory in enumerate(changed):
        package, fixed_minor, severity = by_id[advisory]
        if i < len(changed) * 3 // 4:
            delta.append(
                record(
                    advisory,
                    universe,
                    package,
                    max(1, fixed_minor - 2),
                    modified="2024-05-01T00:00:00Z",
                    severity=severity,
                )
            )
        else:
            delta.append(
                record(
                    advisory,
                    universe,
                    package,
                    fixed_minor,
                    modified="2024-05-01T00:00:00Z",
                    withdrawn="2024-05-01T00:00:00Z",
                    severity=severity,
                )
            )
    write_records(workdir / "run2", delta)
    with HttpClient() as client:
        report = import_location(db, str(workdir / "run2"), client=client)
    return {
        "settings": settings,
        "packages": len(packages),
        "baseline_findings": len(findings),
        "delta": (len(report.new), len(report.modified), len(report.withdrawn)),
    }


def bulk_packages(db: Database, rows: list[tuple[Any, ...]]) -> None:
    columns = (
        "inventory_id, ecosystem, name, normalized_name, version, declared, purl, direct, "
        "scope, locations"
    )
    if db.dialect == "postgresql":
        raw = db.engine.raw_connection()
        try:
            with (
                raw.cursor() as cur,
                cur.copy(f"COPY inventory_package ({columns}) FROM STDIN") as copy,
            ):  # type: ignore[attr-defined]
                for row in rows:
                    copy.write_row(row)
            raw.commit()
        finally:
            raw.close()
        return
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("PRAGMA synchronous=OFF")
        cur.executemany(
            f"INSERT INTO inventory_package ({columns}) VALUES (?,?,?,?,?,?,?,?,?,?)", rows
        )
        raw.commit()
    finally:
        raw.close()


def bulk_findings(db: Database, rows: list[tuple[Any, ...]]) -> None:
    columns = (
        "scan_id, advisory_id, aliases, summary, severity, fixed, ecosystem, package_name, "
        "normalized_name, version, purl, locations"
    )
    constant = (
        "matched_range, exact, analyzers, origin, first_seen_at, found_at",
        ("", True, '["osv"]', "scan"),
    )
    stamp = NOW.replace(tzinfo=None).isoformat(sep=" ")
    full = [(*row, *constant[1], stamp, stamp) for row in rows]
    names = f"{columns}, {constant[0]}"
    if db.dialect == "postgresql":
        raw = db.engine.raw_connection()
        try:
            with raw.cursor() as cur, cur.copy(f"COPY finding ({names}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in full:
                    copy.write_row((*row[:-2], NOW, NOW))
            raw.commit()
        finally:
            raw.close()
        return
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        marks = ",".join("?" * len(full[0])) if full else ""
        if full:
            cur.executemany(f"INSERT INTO finding ({names}) VALUES ({marks})", full)
        raw.commit()
    finally:
        raw.close()


def run(backend: str, args: argparse.Namespace) -> bool:
    with (
        tempfile.TemporaryDirectory(prefix="deeptracy-bench-") as tmp,
        scratch_database(backend, Path(tmp)) as db,
    ):
        upgrade(db)
        started = time.perf_counter()
        info = seed(db, args, Path(tmp))
        seeded = time.perf_counter() - started
        start = time.perf_counter()
        summary = process_pending_runs(db, info["settings"])
        seconds = time.perf_counter() - start
        (outcome,) = summary.runs
        ok = seconds < TARGET
        new, modified, withdrawn = info["delta"]
        extra = f" --popular {args.popular:g}" if args.popular != 0.01 else ""
        print(
            f"monitoring {backend}: {seconds:.2f} s "
            f"(target < {TARGET:g} s{'' if ok else ', MISSED'}) "
            f"for a delta of {new + modified + withdrawn} advisories "
            f"({new} new, {modified} modified, {withdrawn} withdrawn) "
            f"against {args.branches:,} branches x {args.deps} packages "
            f"({info['packages']:,} package rows, {info['baseline_findings']:,} findings): "
            f"{outcome.branches_checked:,} branches affected, {outcome.findings_added:,} findings "
            f"added, {outcome.findings_closed:,} closed, {outcome.events:,} events, "
            f"{outcome.notifications:,} notifications queued (seeding {seeded:.0f} s, untimed)"
            f"   [.venv/bin/python {SELF} {backend}{extra}]",
            flush=True,
        )
        return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("backends", nargs="*", help="sqlite and/or postgresql (default: both)")
    parser.add_argument("--branches", type=int, default=10_000)
    parser.add_argument("--deps", type=int, default=300)
    parser.add_argument("--universe", type=int, default=20_000)
    parser.add_argument("--advisories", type=int, default=500)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument(
        "--popular",
        type=float,
        default=0.01,
        help="share of the new advisories on the 200 most popular packages (stress: 0.04)",
    )
    args = parser.parse_args()
    unknown = set(args.backends) - {"sqlite", "postgresql"}
    if unknown:
        parser.error(f"unknown backend {', '.join(sorted(unknown))}: use sqlite or postgresql")
    results = [run(backend, args) for backend in args.backends or ["sqlite", "postgresql"]]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
