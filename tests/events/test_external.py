"""A delta pushed from outside (POST /api/1/delta/): records imported or ids re-evaluated, then
monitoring; bad input refused with nothing changed."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from deeptracy.advisories.store import get_delta, latest_runs
from deeptracy.config import Settings
from deeptracy.events.external import DeltaError, apply_external_delta
from deeptracy.events.history import list_events
from deeptracy.store.db import Database
from deeptracy.store.models import Advisory, AdvisoryRun, Finding
from tests.events.seed import finding, make_project, make_scan, pkg
from tests.events.test_monitoring import import_dir
from tests.support.osv_records import affected, osv, rng

PYYAML = pkg("PyPI", "PyYAML", "5.3")
JINJA = pkg("PyPI", "Jinja2", "2.10")


def seed(database: Database) -> tuple[str, str]:
    with database.session() as session:
        project = make_project(session, "ops", policy="always")
        scan = make_scan(session, project, "main", [PYYAML, JINJA], [finding("GHSA-ji01", JINJA)])
        return project.id, scan.id


def open_ids(database: Database, scan_id: str) -> list[str]:
    with database.session() as session:
        return sorted(
            session.scalars(
                select(Finding.advisory_id).where(
                    Finding.scan_id == scan_id, Finding.closed_at.is_(None)
                )
            )
        )


def test_pushed_records_are_imported_and_monitored(
    database: Database, notify_settings: Settings, tmp_path: Path
) -> None:
    project_id, scan_id = seed(database)
    import_dir(
        database,
        tmp_path / "base",
        [osv("GHSA-ji01", affected("PyPI", "jinja2", rng(("introduced", "0"), ("fixed", "2.11"))))],
    )
    record = osv(
        "GHSA-py01",
        affected("PyPI", "pyyaml", rng(("introduced", "0"), ("fixed", "5.4"))),
        aliases=["CVE-2020-14343"],
        modified="2024-03-01T00:00:00Z",
        database_specific={"severity": "CRITICAL"},
    )
    result = apply_external_delta(database, notify_settings, records=[record])
    assert result.import_run is not None
    assert result.import_run.kind == "push"
    assert result.import_run.new == ("GHSA-py01",)
    assert result.recheck_run_id is None
    assert sum(r.findings_added for r in result.monitoring.runs) == 1
    assert open_ids(database, scan_id) == ["GHSA-ji01", "GHSA-py01"]
    with database.session() as session:
        (event,) = list_events(session, project_id)
    assert event.kind == "new_findings"
    assert event.advisory_run_id == result.import_run.run_id
    assert result.to_dict()["import"]["new"] == 1  # type: ignore[index]


def test_invalid_records_refuse_the_whole_delta(
    database: Database, notify_settings: Settings
) -> None:
    seed(database)
    good = osv("GHSA-py01", affected("PyPI", "pyyaml", rng(("introduced", "0"))))
    with pytest.raises(DeltaError) as caught:
        apply_external_delta(
            database,
            notify_settings,
            records=[
                good,
                {"id": "GHSA-bad1"},
                "not an object",
                {"id": "x y", "modified": "2024-01-01T00:00:00Z"},
            ],
        )
    assert caught.value.problems == (
        "records[1] (GHSA-bad1): modified: missing",
        "records[2]: an OSV record is a JSON object, got a string",
        "records[3] (x y): id: 'x y' is not a valid OSV id",
    )
    assert str(caught.value).startswith("invalid OSV records, nothing was imported: records[1]")
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(AdvisoryRun)) == 0
        assert session.scalar(select(func.count()).select_from(Advisory)) == 0


def test_rechecking_ids_runs_monitoring_for_their_packages(
    database: Database, notify_settings: Settings, tmp_path: Path
) -> None:
    project_id, scan_id = seed(database)
    import_dir(
        database,
        tmp_path / "base",
        [
            osv(
                "GHSA-ji01", affected("PyPI", "jinja2", rng(("introduced", "0"), ("fixed", "2.11")))
            ),
            osv(
                "GHSA-py01", affected("PyPI", "pyyaml", rng(("introduced", "0"), ("fixed", "5.4")))
            ),
        ],
    )
    # The scan missed GHSA-py01 (say it ran before the import): a recheck finds it.
    first = apply_external_delta(database, notify_settings, advisory_ids=["GHSA-py01", "GHSA-py01"])
    assert first.rechecked == ("GHSA-py01",)
    assert first.recheck_run_id is not None
    with database.session() as session:
        delta = get_delta(session, first.recheck_run_id)
        (run,) = latest_runs(session, 1)
    assert delta is not None and delta.modified == ("GHSA-py01",)
    assert delta.packages == (("PyPI", "pyyaml"),)
    assert run.kind == "recheck" and run.finished_at is not None
    assert open_ids(database, scan_id) == ["GHSA-ji01", "GHSA-py01"]
    # A second recheck finds nothing more to do.
    second = apply_external_delta(database, notify_settings, advisory_ids=["GHSA-py01"])
    assert [(r.findings_added, r.events) for r in second.monitoring.runs] == [(0, 0)]
    with database.session() as session:
        assert [e.kind for e in list_events(session, project_id)] == ["new_findings"]


def test_unknown_ids_and_empty_requests_are_refused(
    database: Database, notify_settings: Settings
) -> None:
    with pytest.raises(DeltaError, match="a delta needs advisory_ids or records"):
        apply_external_delta(database, notify_settings)
    with pytest.raises(DeltaError, match=r"unknown advisory ids, nothing was rechecked: GHSA-nope"):
        apply_external_delta(database, notify_settings, advisory_ids=["GHSA-nope"])
    with pytest.raises(DeltaError, match=r"advisory_ids\[1\]: not an advisory id"):
        apply_external_delta(database, notify_settings, advisory_ids=["GHSA-1", ""])
    with pytest.raises(DeltaError, match="at most 1000 advisory ids"):
        apply_external_delta(
            database, notify_settings, advisory_ids=[f"X-{i}" for i in range(1001)]
        )
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(AdvisoryRun)) == 0
