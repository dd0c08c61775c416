"""Continuous monitoring on both databases: real OSV imports (runs with deltas) against seeded
projects, branches, scans, inventories and findings."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from deeptracy.advisories.http import HttpClient
from deeptracy.advisories.sync import import_location
from deeptracy.config import Settings
from deeptracy.events.channels import set_channels
from deeptracy.events.history import list_events, list_notifications
from deeptracy.events.monitoring import pending_runs, process_pending_runs, process_run
from deeptracy.store.db import Database
from deeptracy.store.enums import EventKind, FindingOrigin
from deeptracy.store.models import Event, Finding, MonitorRun, Project, Scan, Triage
from deeptracy.vault import Vault
from tests.events.seed import finding, make_inventory, make_project, make_scan, pkg
from tests.support.osv_records import affected, osv, rng, write_dir


def ghsa(severity: str) -> dict[str, Any]:
    return {"database_specific": {"severity": severity}}


def fixed(version: str, introduced: str = "0") -> dict[str, Any]:
    return rng(("introduced", introduced), ("fixed", version))


RUN1 = [
    osv("GHSA-dj01", affected("PyPI", "django", fixed("3.2.5")), **ghsa("HIGH")),
    osv("GHSA-lo01", affected("npm", "lodash", fixed("4.17.21")), **ghsa("CRITICAL")),
    osv("GHSA-fl01", affected("PyPI", "flask", fixed("2.2.5")), **ghsa("MODERATE")),
    osv("PYSEC-rq01", affected("PyPI", "requests", fixed("2.31.0")), **ghsa("MODERATE")),
]
RUN2 = [
    # New: one vulnerability published twice (GHSA and PYSEC naming each other by the CVE).
    osv(
        "GHSA-ul01",
        affected("PyPI", "urllib3", fixed("1.26.5")),
        aliases=["CVE-2021-33503"],
        modified="2024-02-01T00:00:00Z",
        summary="Catastrophic backtracking in URL authority parser",
        **ghsa("HIGH"),
    ),
    osv(
        "PYSEC-2021-108",
        affected("PyPI", "urllib3", fixed("1.26.5")),
        aliases=["CVE-2021-33503"],
        modified="2024-02-01T00:00:00Z",
    ),
    # New: a declared-only requirement overlaps it.
    osv(
        "GHSA-wz01",
        affected("PyPI", "werkzeug", fixed("2.2.3")),
        modified="2024-02-01T00:00:00Z",
        **ghsa("HIGH"),
    ),
    # Modified: the range no longer covers requests 2.25.0.
    osv(
        "PYSEC-rq01",
        affected("PyPI", "requests", fixed("2.31.0", introduced="2.26.0")),
        modified="2024-02-01T00:00:00Z",
        **ghsa("MODERATE"),
    ),
    # Withdrawn.
    osv(
        "GHSA-fl01",
        affected("PyPI", "flask", fixed("2.2.5")),
        modified="2024-02-01T00:00:00Z",
        withdrawn="2024-02-01T00:00:00Z",
        **ghsa("MODERATE"),
    ),
    # Modified, still affecting lodash 4.17.20.
    osv(
        "GHSA-lo01",
        affected("npm", "lodash", fixed("4.17.21")),
        modified="2024-02-01T00:00:00Z",
        summary="Prototype pollution (updated text)",
        **ghsa("CRITICAL"),
    ),
]

DJANGO = pkg("PyPI", "Django", "3.2.0")
FLASK = pkg("PyPI", "Flask", "2.0.0")
REQUESTS = pkg("PyPI", "requests", "2.25.0")
LODASH = pkg("npm", "lodash", "4.17.20", source="package-lock.json")
URLLIB3 = pkg("PyPI", "urllib3", "1.26.0")
OLD_URLLIB3 = pkg("PyPI", "urllib3", "1.24.0")
WERKZEUG = pkg("PyPI", "Werkzeug", declared=">=2.0,<2.3")
GOPKG = pkg("Go", "github.com/acme/lib", "v1.2.3", source="go.mod")
SUPPRESSED = {"state": "ignored", "reason": "build only", "source": ".deeptracy.yml"}


@dataclass
class World:
    shop: str  # policy new, webhook channel
    blog: str  # policy always, slack channel
    legacy: str  # not monitored
    gosvc: str
    shop_main: str
    shop_release: str
    shop_old: str  # an older scan of shop/main
    blog_main: str
    legacy_main: str
    gosvc_main: str


def import_dir(database: Database, root: Path, records: list[dict[str, Any]]) -> int:
    write_dir(root, records)
    with HttpClient(timeout=5, retries=0) as client:
        return import_location(database, str(root), client=client).run_id


def seed(database: Database, settings: Settings, vault: Vault) -> World:
    with database.session() as session:
        shop = make_project(session, "shop", policy="new")
        set_channels(
            shop,
            settings,
            vault,
            [{"type": "webhook", "url": "http://127.0.0.1:9/h", "secret": "x" * 20}],
        )
        blog = make_project(session, "blog", policy="always")
        set_channels(blog, settings, vault, [{"type": "slack", "url": "http://127.0.0.1:9/s"}])
        legacy = make_project(session, "legacy", monitored=False)
        gosvc = make_project(session, "gosvc")

        shop_old = make_scan(
            session, shop, "main", [DJANGO, OLD_URLLIB3], [finding("GHSA-dj01", DJANGO)]
        )
        inventory = make_inventory(session, [DJANGO, FLASK, REQUESTS, LODASH])
        shop_findings = [
            finding("GHSA-dj01", DJANGO, "HIGH", fixed=["3.2.5"]),
            finding("GHSA-fl01", FLASK, "MEDIUM"),
            finding("PYSEC-rq01", REQUESTS, "MEDIUM"),
            finding("GHSA-lo01", LODASH, "CRITICAL"),
        ]
        shop_main = make_scan(session, shop, "main", inventory=inventory, findings=shop_findings)
        # release shares the inventory; its flask finding was also reported by another analyzer.
        release_findings = [dict(f) for f in shop_findings]
        release_findings[1]["analyzers"] = ["other", "osv"]
        shop_release = make_scan(
            session, shop, "release", inventory=inventory, findings=release_findings
        )
        blog_main = make_scan(
            session,
            blog,
            "main",
            [DJANGO, URLLIB3, WERKZEUG, LODASH],
            [
                finding("GHSA-dj01", DJANGO),
                finding("GHSA-lo01", LODASH, "CRITICAL", suppression=SUPPRESSED),
            ],
        )
        legacy_main = make_scan(
            session, legacy, "main", [OLD_URLLIB3, FLASK], [finding("GHSA-fl01", FLASK, "MEDIUM")]
        )
        gosvc_main = make_scan(session, gosvc, "main", [GOPKG], [])
        return World(
            shop.id, blog.id, legacy.id, gosvc.id,
            shop_main.id, shop_release.id, shop_old.id, blog_main.id, legacy_main.id, gosvc_main.id,
        )  # fmt: skip


def open_findings(database: Database, scan_id: str) -> dict[str, Finding]:
    with database.session() as session:
        rows = session.scalars(
            select(Finding).where(Finding.scan_id == scan_id, Finding.closed_at.is_(None))
        )
        return {f"{r.package_name}:{r.advisory_id}": r for r in rows}


def closed_findings(database: Database, scan_id: str) -> dict[str, str | None]:
    with database.session() as session:
        rows = session.scalars(
            select(Finding).where(Finding.scan_id == scan_id, Finding.closed_at.is_not(None))
        )
        return {f"{r.package_name}:{r.advisory_id}": r.closed_reason for r in rows}


def scan_totals(database: Database, scan_id: str) -> tuple[int | None, dict[str, int] | None]:
    with database.session() as session:
        scan = session.get(Scan, scan_id)
        assert scan is not None
        return scan.total_vulnerabilities, scan.severity_counts


@pytest.fixture
def world(database: Database, notify_settings: Settings, vault: Vault, tmp_path: Path) -> World:
    seeded = seed(database, notify_settings, vault)
    import_dir(database, tmp_path / "run1", RUN1)
    return seeded


def test_the_first_run_agrees_with_the_scans(
    database: Database, notify_settings: Settings, world: World
) -> None:
    summary = process_pending_runs(database, notify_settings)
    (run,) = summary.runs
    # shop main, shop release, blog main: their latest inventories hold run 1's packages.
    assert run.branches_checked == 3
    assert (run.findings_added, run.findings_closed, run.events) == (0, 0, 0)
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Event)) == 0
        monitor = session.get(MonitorRun, run.run_id)
        assert monitor is not None and monitor.branches_checked == 3


def test_a_delta_adds_and_closes_exactly_what_changed(
    database: Database, notify_settings: Settings, world: World, tmp_path: Path
) -> None:
    process_pending_runs(database, notify_settings)
    before = {
        s: open_findings(database, s) for s in (world.shop_old, world.legacy_main, world.gosvc_main)
    }
    run2 = import_dir(database, tmp_path / "run2", RUN2)
    summary = process_pending_runs(database, notify_settings)
    (run,) = summary.runs
    assert run.run_id == run2
    assert (run.findings_added, run.findings_closed) == (2, 3)
    assert (run.branches_changed, run.events) == (3, 3)

    # shop/main: requests no longer covered, flask withdrawn; django and lodash stay.
    assert sorted(open_findings(database, world.shop_main)) == [
        "Django:GHSA-dj01",
        "lodash:GHSA-lo01",
    ]
    assert closed_findings(database, world.shop_main) == {
        "Flask:GHSA-fl01": "advisory withdrawn",
        "requests:PYSEC-rq01": "advisory no longer covers 2.25.0",
    }
    assert scan_totals(database, world.shop_main) == (
        2,
        {"CRITICAL": 1, "HIGH": 1, "MEDIUM": 0, "LOW": 0, "NONE": 0, "UNKNOWN": 0},
    )
    # shop/release shares the inventory; another analyzer also reported flask: it stays open.
    assert sorted(open_findings(database, world.shop_release)) == [
        "Django:GHSA-dj01",
        "Flask:GHSA-fl01",
        "lodash:GHSA-lo01",
    ]
    assert closed_findings(database, world.shop_release) == {
        "requests:PYSEC-rq01": "advisory no longer covers 2.25.0"
    }

    # blog/main: the urllib3 records become one finding; werkzeug's declared range overlaps.
    blog = open_findings(database, world.blog_main)
    assert sorted(blog) == [
        "Django:GHSA-dj01",
        "Werkzeug:GHSA-wz01",
        "lodash:GHSA-lo01",  # suppressed, and not added again
        "urllib3:GHSA-ul01",
    ]
    urllib3 = blog["urllib3:GHSA-ul01"]
    assert urllib3.aliases == ["CVE-2021-33503", "PYSEC-2021-108"]
    assert (urllib3.origin, urllib3.severity, urllib3.exact, urllib3.version) == (
        FindingOrigin.MONITOR,
        "HIGH",
        True,
        "1.26.0",
    )
    assert urllib3.fixed == ["1.26.5"]
    assert urllib3.summary == "Catastrophic backtracking in URL authority parser"
    assert urllib3.locations == [{"path": "requirements.txt", "line": 1}]
    assert urllib3.found_at == urllib3.first_seen_at
    assert urllib3.analyzers == ["osv"]
    werkzeug = blog["Werkzeug:GHSA-wz01"]
    assert (werkzeug.exact, werkzeug.version, werkzeug.declared) == (False, None, ">=2.0,<2.3")
    assert werkzeug.admits_unaffected is True
    assert blog["lodash:GHSA-lo01"].suppression == SUPPRESSED
    assert scan_totals(database, world.blog_main)[0] == 3

    # Untouched: an older scan of shop/main, a project that is not monitored, unrelated ones.
    after = {s: open_findings(database, s) for s in before}
    assert {s: sorted(f) for s, f in after.items()} == {s: sorted(f) for s, f in before.items()}
    assert closed_findings(database, world.legacy_main) == {}

    with database.session() as session:
        shop_events = list_events(session, world.shop)
        blog_events = list_events(session, world.blog)
        assert list_events(session, world.legacy) == []
        assert list_events(session, world.gosvc) == []
    assert sorted((e.branch, e.kind) for e in shop_events) == [
        ("main", "findings_closed"),
        ("release", "findings_closed"),
    ]
    main_closed = next(e for e in shop_events if e.branch == "main")
    assert main_closed.scan_id == world.shop_main and main_closed.advisory_run_id == run2
    assert main_closed.summary == f"2 vulnerabilities closed by advisory run {run2}"
    assert main_closed.payload["count"] == 2
    assert [(f["advisory_id"], f["closed_reason"]) for f in main_closed.payload["findings"]] == [
        ("GHSA-fl01", "advisory withdrawn"),
        ("PYSEC-rq01", "advisory no longer covers 2.25.0"),
    ]
    (blog_new,) = blog_events
    assert blog_new.kind == EventKind.NEW_FINDINGS
    assert blog_new.summary == f"2 new vulnerabilities from advisory run {run2}"
    assert [f["advisory_id"] for f in blog_new.payload["findings"]] == ["GHSA-ul01", "GHSA-wz01"]
    assert blog_new.payload["counts"]["HIGH"] == 2

    # Notifications by policy: blog (always) is told of its new findings; shop ("new") is not
    # told about closed ones.
    with database.session() as session:
        assert [n.event_id for n in list_notifications(session, project_id=world.blog)] == [
            blog_new.id
        ]
        assert list_notifications(session, project_id=world.shop) == []
    assert run.notifications == 1


def test_monitoring_is_idempotent(
    database: Database, notify_settings: Settings, world: World, tmp_path: Path
) -> None:
    import_dir(database, tmp_path / "run2", RUN2)
    first = process_pending_runs(database, notify_settings)
    assert len(first.runs) == 2
    with database.session() as session:
        assert pending_runs(session) == []
        counts = (
            session.scalar(select(func.count()).select_from(Finding)),
            session.scalar(select(func.count()).select_from(Event)),
        )
    second = process_pending_runs(database, notify_settings)
    assert second.runs == () and second.skipped == ()
    for run in first.runs:
        assert process_run(database, notify_settings, run.run_id) is None
    # Importing the same records again changes nothing: no run delta, no events.
    import_dir(database, tmp_path / "run2-again", RUN2)
    third = process_pending_runs(database, notify_settings)
    assert [(r.findings_added, r.findings_closed, r.events) for r in third.runs] == [(0, 0, 0)]
    with database.session() as session:
        assert (
            session.scalar(select(func.count()).select_from(Finding)),
            session.scalar(select(func.count()).select_from(Event)),
        ) == counts


def test_concurrent_monitors_process_each_run_once(
    database_uri: str, notify_settings: Settings, world: World, tmp_path: Path
) -> None:
    db = Database(database_uri)
    import_dir(db, tmp_path / "run2", RUN2)
    workers = [Database(database_uri) for _ in range(3)]
    results: list[Any] = []
    errors: list[BaseException] = []

    def work(worker: Database) -> None:
        try:
            results.append(process_pending_runs(worker, notify_settings))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    processed = sorted(r.run_id for summary in results for r in summary.runs)
    with db.session() as session:
        runs = sorted(session.scalars(select(MonitorRun.advisory_run_id)))
        added = session.scalar(
            select(func.count()).select_from(Finding).where(Finding.origin == FindingOrigin.MONITOR)
        )
        events = session.scalar(select(func.count()).select_from(Event))
    assert processed == runs and len(runs) == 2  # each run by exactly one worker
    assert (added, events) == (2, 3)
    for worker in (db, *workers):
        worker.dispose()


def test_triage_decisions_apply_to_findings_monitoring_adds(
    database: Database, notify_settings: Settings, world: World, tmp_path: Path
) -> None:
    process_pending_runs(database, notify_settings)
    with database.session() as session:
        session.add(
            Triage(
                project_id=world.blog,
                advisory_id="CVE-2021-33503",  # decided under an alias
                ecosystem="PyPI",
                normalized_name="urllib3",
                state="NOT_AFFECTED",
                comment="we never parse untrusted URLs",
                author="alice",
            )
        )
    import_dir(database, tmp_path / "run2", RUN2)
    (run,) = process_pending_runs(database, notify_settings).runs
    assert run.findings_added == 2  # urllib3 (suppressed by the triage) and werkzeug
    urllib3 = open_findings(database, world.blog_main)["urllib3:GHSA-ul01"]
    assert urllib3.suppression is not None
    assert urllib3.suppression["source"] == "triage"
    assert urllib3.suppression["state"] == "not_affected"
    assert urllib3.suppression["who"] == "alice"
    with database.session() as session:
        (event,) = list_events(session, world.blog)
    # The suppressed finding is stored but not announced, and not counted.
    assert [f["advisory_id"] for f in event.payload["findings"]] == ["GHSA-wz01"]
    assert scan_totals(database, world.blog_main)[0] == 2


def test_only_monitored_projects_and_latest_scans(
    database: Database, notify_settings: Settings, world: World, tmp_path: Path
) -> None:
    with database.session() as session:
        legacy = session.get(Project, world.legacy)
        assert legacy is not None
        legacy.monitored = True
    import_dir(database, tmp_path / "run2", RUN2)
    process_pending_runs(database, notify_settings)
    # Now monitored: legacy's urllib3 1.24.0 gets the finding, its withdrawn flask one closes.
    assert "urllib3:GHSA-ul01" in open_findings(database, world.legacy_main)
    assert closed_findings(database, world.legacy_main) == {"Flask:GHSA-fl01": "advisory withdrawn"}
    # shop/main's older scan also held urllib3 1.24.0: not its latest, left alone.
    assert "urllib3:GHSA-ul01" not in open_findings(database, world.shop_old)


def test_unreadable_versions_close_nothing(
    database: Database, notify_settings: Settings, vault: Vault, tmp_path: Path
) -> None:
    weird = pkg("PyPI", "requests", "not a version!")
    with database.session() as session:
        project = make_project(session, "weird")
        scan = make_scan(
            session, project, "main", [weird], [finding("PYSEC-rq01", weird, "MEDIUM")]
        )
        scan_id = scan.id
    import_dir(database, tmp_path / "run1", RUN1)
    import_dir(database, tmp_path / "run2", RUN2)
    summary = process_pending_runs(database, notify_settings)
    assert sum(r.findings_closed for r in summary.runs) == 0
    assert sorted(open_findings(database, scan_id)) == ["requests:PYSEC-rq01"]


def test_scans_without_counts_are_recounted(
    database: Database, notify_settings: Settings, world: World, tmp_path: Path
) -> None:
    with database.session() as session:
        scan = session.get(Scan, world.blog_main)
        assert scan is not None
        scan.severity_counts = None
        scan.total_vulnerabilities = None
    import_dir(database, tmp_path / "run2", RUN2)
    process_pending_runs(database, notify_settings)
    total, counts = scan_totals(database, world.blog_main)
    assert total == 3  # django, urllib3, werkzeug (lodash is suppressed)
    assert counts == {"CRITICAL": 0, "HIGH": 3, "MEDIUM": 0, "LOW": 0, "NONE": 0, "UNKNOWN": 0}


def test_a_package_stated_by_two_files_gets_a_finding_in_each(
    database: Database, notify_settings: Settings, tmp_path: Path
) -> None:
    in_app = pkg("PyPI", "urllib3", "1.26.0", source="app/requirements.txt", line=3)
    in_tools = pkg("PyPI", "urllib3", "1.26.0", source="tools/requirements.txt", line=7)
    with database.session() as session:
        project = make_project(session, "mono")
        scan_id = make_scan(session, project, "main", [in_app, in_tools], []).id
    import_dir(database, tmp_path / "run2", RUN2)
    (run,) = process_pending_runs(database, notify_settings).runs
    assert run.findings_added == 2
    with database.session() as session:
        rows = session.scalars(select(Finding).where(Finding.scan_id == scan_id)).all()
        assert sorted((r.advisory_id, r.locations[0]["path"]) for r in rows) == [
            ("GHSA-ul01", "app/requirements.txt"),
            ("GHSA-ul01", "tools/requirements.txt"),
        ]
        (event,) = list_events(session, project.id)
    assert [f["source"] for f in event.payload["findings"]] == [
        "app/requirements.txt",
        "tools/requirements.txt",
    ]
    # Run again (a recheck of the same advisories): both are covered, nothing is added.
    from deeptracy.events.external import apply_external_delta

    again = apply_external_delta(database, notify_settings, advisory_ids=["GHSA-ul01"])
    assert [r.findings_added for r in again.monitoring.runs] == [0]


def test_affected_branches_are_found_through_the_package_index(sqlite_uri: str) -> None:
    """SQLite's plan starts from the (ecosystem, normalized_name, inventory_id) index and
    reaches scans, branches and projects through their indexes: no table is scanned."""
    from deeptracy.events.monitoring import _SQLITE_AFFECTED

    db = Database(sqlite_uri)
    with db.engine.connect() as conn:
        plan = [
            row[-1]
            for row in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + _SQLITE_AFFECTED.format(marks="?, ?"),
                ("PyPI", "django", "flask"),
            )
        ]
    db.dispose()
    assert plan[0].startswith("SEARCH ip USING INDEX ix_inventory_package_lookup")
    assert plan[1:] == [
        "SEARCH scan USING INDEX ix_scan_inventory_id (inventory_id=?)",
        "SEARCH branch USING INDEX ix_branch_latest_scan_id (latest_scan_id=?)",
        "SEARCH project USING INDEX sqlite_autoindex_project_1 (id=?)",
    ]
    assert not any(step.startswith("SCAN") for step in plan)


def test_a_scan_that_ran_while_advisories_changed_catches_up(
    database: Database, notify_settings: Settings, world: World, tmp_path: Path
) -> None:
    from deeptracy.events.scan_events import on_scan_finished

    process_pending_runs(database, notify_settings)
    # blog/main is being scanned again when run 2 arrives; monitoring applies run 2 to the
    # branch's latest scan, which is still the previous one.
    import_dir(database, tmp_path / "run2", RUN2)
    process_pending_runs(database, notify_settings)
    assert "urllib3:GHSA-ul01" in open_findings(database, world.blog_main)
    # The new scan finishes with what its (older) matcher knew: no urllib3 finding.
    with database.session() as session:
        blog = session.get(Project, world.blog)
        assert blog is not None
        rescan = make_scan(
            session,
            blog,
            "main",
            [DJANGO, URLLIB3, WERKZEUG, LODASH],
            [
                finding("GHSA-dj01", DJANGO),
                finding("GHSA-lo01", LODASH, "CRITICAL", suppression=SUPPRESSED),
            ],
        ).id
    outcome = on_scan_finished(database, notify_settings, rescan)
    assert outcome.caught_up is not None
    assert outcome.caught_up.findings_added == 2  # urllib3 and werkzeug, from run 2
    assert sorted(open_findings(database, rescan)) == [
        "Django:GHSA-dj01",
        "Werkzeug:GHSA-wz01",
        "lodash:GHSA-lo01",
        "urllib3:GHSA-ul01",
    ]
    with database.session() as session:
        events = [e for e in list_events(session, world.blog) if e.scan_id == rescan]
    assert sorted(e.kind for e in events) == ["new_findings", "scan_finished"]
    scan_event = next(e for e in events if e.kind == "scan_finished")
    assert scan_event.payload["new_count"] == 0  # the monitoring event announces them, once
    # Idempotent: a retried hook adds nothing and records nothing more.
    again = on_scan_finished(database, notify_settings, rescan)
    assert again.caught_up is not None and again.caught_up.findings_added == 0
    with database.session() as session:
        assert len([e for e in list_events(session, world.blog) if e.scan_id == rescan]) == 2


def test_a_scan_that_started_after_the_runs_has_nothing_to_catch_up(
    database: Database, notify_settings: Settings, world: World
) -> None:
    from deeptracy.events.monitoring import catch_up_scan

    process_pending_runs(database, notify_settings)
    with database.session() as session:
        scan = session.get(Scan, world.shop_main)
        assert scan is not None
        scan.started_at = datetime.now(UTC) + timedelta(minutes=5)
    assert catch_up_scan(database, notify_settings, world.shop_main).runs == ()
    # Older scans of a branch and unknown scans are left alone.
    assert catch_up_scan(database, notify_settings, world.shop_old).runs == ()
    assert catch_up_scan(database, notify_settings, "nope").runs == ()
