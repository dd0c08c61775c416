"""Scan events from stored rows: SCAN_FINISHED / SCAN_FAILED, "new" findings, policy."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from deeptracy.config import Settings
from deeptracy.events.channels import set_channels
from deeptracy.events.history import get_event, list_events
from deeptracy.events.scan_events import on_scan_finished
from deeptracy.store.db import Database
from deeptracy.store.enums import EventKind, ScanState
from deeptracy.store.models import Event, Notification, Scan
from deeptracy.vault import Vault
from tests.events.seed import finding, make_project, make_scan, pkg

DJANGO = pkg("PyPI", "Django", "3.2.0")
FLASK = pkg("PyPI", "flask", "2.0.0")
LODASH = pkg("npm", "lodash", "4.17.20", source="package-lock.json")
SUPPRESSED = {"state": "ignored", "reason": "not reachable", "source": ".deeptracy.yml"}


def project_with_channel(
    database: Database, settings: Settings, vault: Vault, policy: str = "new", minimum: str = "LOW"
) -> str:
    with database.session() as session:
        project = make_project(session, policy=policy, min_severity=minimum)
        set_channels(project, settings, vault, [{"type": "slack", "url": "http://127.0.0.1:9/x"}])
        return project.id


def add_scan(database: Database, project_id: str, findings: list[dict[str, Any]], **kw: Any) -> str:
    from deeptracy.store.models import Project

    with database.session() as session:
        project = session.get(Project, project_id)
        assert project is not None
        packages = kw.pop("packages", [DJANGO, FLASK, LODASH])
        return make_scan(session, project, kw.pop("branch", "main"), packages, findings, **kw).id


def notifications(database: Database, event_id: int) -> int:
    with database.session() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(Notification)
                .where(Notification.event_id == event_id)
            )
            or 0
        )


def test_first_scan_makes_every_active_finding_new(
    database: Database, notify_settings: Settings, vault: Vault
) -> None:
    project_id = project_with_channel(database, notify_settings, vault)
    scan_id = add_scan(
        database,
        project_id,
        [
            finding("GHSA-1", DJANGO, "HIGH", score=8.1),
            finding("GHSA-2", LODASH, "CRITICAL"),
            finding("GHSA-3", FLASK, "LOW", suppression=SUPPRESSED),
        ],
    )
    outcome = on_scan_finished(database, notify_settings, scan_id)
    assert outcome.created and outcome.kind is EventKind.SCAN_FINISHED
    assert len(outcome.notification_ids) == 1
    with database.session() as session:
        event = get_event(session, outcome.event_id or 0)
    assert event is not None
    payload = event.payload
    assert event.summary == "Scan finished: 2 vulnerabilities in 3 packages, 2 new"
    assert (event.branch, event.scan_id) == ("main", scan_id)
    assert payload["total_vulnerabilities"] == 2
    assert payload["suppressed"] == 1
    assert payload["counts"] == {
        "CRITICAL": 1,
        "HIGH": 1,
        "MEDIUM": 0,
        "LOW": 0,
        "NONE": 0,
        "UNKNOWN": 0,
    }
    assert payload["new_count"] == 2
    assert [e["advisory_id"] for e in payload["new"]] == ["GHSA-2", "GHSA-1"]
    assert payload["new"][1]["package"] == "Django"
    assert payload["new"][1]["source"] == "requirements.txt"
    assert payload["previous_scan_id"] is None
    assert payload["state"] == "DONE"


def test_the_event_is_recorded_once(
    database: Database, notify_settings: Settings, vault: Vault
) -> None:
    project_id = project_with_channel(database, notify_settings, vault)
    scan_id = add_scan(database, project_id, [finding("GHSA-1", DJANGO)])
    first = on_scan_finished(database, notify_settings, scan_id)
    second = on_scan_finished(database, notify_settings, scan_id)
    assert second.event_id == first.event_id
    assert second.notification_ids == first.notification_ids
    assert (first.created, second.created) == (True, False)
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Event)) == 1
        assert session.scalar(select(func.count()).select_from(Notification)) == 1


def test_new_means_not_in_the_previous_successful_scan(
    database: Database, notify_settings: Settings, vault: Vault
) -> None:
    project_id = project_with_channel(database, notify_settings, vault)
    first = add_scan(database, project_id, [finding("GHSA-1", DJANGO, aliases=["CVE-2024-1"])])
    on_scan_finished(database, notify_settings, first)
    # A failed scan in between is not the previous successful one.
    failed = add_scan(database, project_id, [], state=ScanState.FAILED, failure_reason="TIMEOUT")
    on_scan_finished(database, notify_settings, failed)
    # Another branch's findings do not count either.
    other = add_scan(database, project_id, [finding("GHSA-9", LODASH)], branch="develop")
    on_scan_finished(database, notify_settings, other)
    second = add_scan(
        database,
        project_id,
        [
            # The same vulnerability under another id: known through the shared alias.
            finding("PYSEC-2024-1", DJANGO, aliases=["CVE-2024-1"]),
            finding("GHSA-9", LODASH, "MEDIUM"),
        ],
    )
    outcome = on_scan_finished(database, notify_settings, second)
    with database.session() as session:
        event = get_event(session, outcome.event_id or 0)
    assert event is not None
    assert event.payload["previous_scan_id"] == first
    assert [e["advisory_id"] for e in event.payload["new"]] == ["GHSA-9"]
    assert event.payload["new_counts"]["MEDIUM"] == 1
    assert event.summary == "Scan finished: 2 vulnerabilities in 3 packages, 1 new"


def test_policy_new_without_new_findings_records_but_does_not_notify(
    database: Database, notify_settings: Settings, vault: Vault
) -> None:
    project_id = project_with_channel(database, notify_settings, vault)
    on_scan_finished(
        database, notify_settings, add_scan(database, project_id, [finding("GHSA-1", DJANGO)])
    )
    outcome = on_scan_finished(
        database, notify_settings, add_scan(database, project_id, [finding("GHSA-1", DJANGO)])
    )
    assert outcome.created and outcome.notification_ids == ()
    with database.session() as session:
        event = get_event(session, outcome.event_id or 0)
    assert event is not None and event.payload["new_count"] == 0
    assert event.summary.endswith("none new")


@pytest.mark.parametrize(
    ("policy", "minimum", "findings", "state", "notified"),
    [
        ("always", "LOW", [], ScanState.DONE, True),
        ("always", "CRITICAL", [("GHSA-1", "LOW")], ScanState.DONE, True),
        ("always", "LOW", [], ScanState.FAILED, True),
        ("always", "LOW", [], ScanState.SAME_DEPS_AS_PREVIOUS, True),
        ("new", "LOW", [], ScanState.FAILED, False),
        ("new", "LOW", [], ScanState.DONE, False),
        ("new", "HIGH", [("GHSA-1", "MEDIUM")], ScanState.DONE, False),
        ("new", "HIGH", [("GHSA-1", "MEDIUM"), ("GHSA-2", "HIGH")], ScanState.DONE, True),
        ("new", "MEDIUM", [("GHSA-1", "UNKNOWN")], ScanState.DONE, False),
        ("new", "LOW", [("GHSA-1", "UNKNOWN")], ScanState.DONE, True),
        ("never", "LOW", [("GHSA-1", "CRITICAL")], ScanState.DONE, False),
        ("never", "LOW", [], ScanState.FAILED, False),
    ],
)
def test_policy_decides_what_is_sent(
    policy: str,
    minimum: str,
    findings: list[tuple[str, str]],
    state: ScanState,
    notified: bool,
    database: Database,
    notify_settings: Settings,
    vault: Vault,
) -> None:
    project_id = project_with_channel(database, notify_settings, vault, policy, minimum)
    rows = [finding(advisory, DJANGO, severity) for advisory, severity in findings]
    scan_id = add_scan(database, project_id, rows, state=state, failure_reason="TIMEOUT")
    outcome = on_scan_finished(database, notify_settings, scan_id)
    assert outcome.created
    assert bool(outcome.notification_ids) is notified
    assert outcome.kind is (
        EventKind.SCAN_FAILED if state == ScanState.FAILED else EventKind.SCAN_FINISHED
    )


def test_failed_scan_event(database: Database, notify_settings: Settings, vault: Vault) -> None:
    project_id = project_with_channel(database, notify_settings, vault, "always")
    scan_id = add_scan(
        database,
        project_id,
        [],
        state=ScanState.FAILED,
        failure_reason="INVALID_BRANCH",
        failure_detail="the remote has no branch 'main'",
    )
    outcome = on_scan_finished(database, notify_settings, scan_id)
    with database.session() as session:
        (event,) = list_events(session, project_id)
    assert event.id == outcome.event_id
    assert event.kind == "scan_failed"
    assert event.summary == "Scan failed: INVALID_BRANCH"
    assert event.payload["failure_detail"] == "the remote has no branch 'main'"
    assert notifications(database, event.id) == 1


def test_unfinished_or_unknown_scans_record_nothing(
    database: Database, notify_settings: Settings, vault: Vault
) -> None:
    project_id = project_with_channel(database, notify_settings, vault)
    scan_id = add_scan(database, project_id, [])
    with database.session() as session:
        scan = session.get(Scan, scan_id)
        assert scan is not None
        scan.state = ScanState.RUNNING
    assert on_scan_finished(database, notify_settings, scan_id).event_id is None
    assert on_scan_finished(database, notify_settings, "no-such-scan").event_id is None
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Event)) == 0


def test_events_are_listed_newest_first_with_filters(
    database: Database, notify_settings: Settings, vault: Vault
) -> None:
    project_id = project_with_channel(database, notify_settings, vault)
    ids = []
    for branch in ("main", "develop", "main"):
        scan_id = add_scan(database, project_id, [], branch=branch)
        ids.append(on_scan_finished(database, notify_settings, scan_id).event_id)
    with database.session() as session:
        assert [e.id for e in list_events(session, project_id)] == ids[::-1]
        assert [e.id for e in list_events(session, project_id, branch="main")] == [ids[2], ids[0]]
        assert [e.id for e in list_events(session, project_id, before_id=ids[2], limit=1)] == [
            ids[1]
        ]
        assert list_events(session, project_id, kinds=["scan_failed"]) == []
        assert list_events(session, "other-project") == []
        as_dict = list_events(session, project_id)[0].to_dict()
    assert as_dict["kind"] == "scan_finished" and as_dict["project_id"] == project_id
