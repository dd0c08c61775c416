"""Delivery to real HTTP receivers: Slack, signed webhooks, Teams; retries, backoff, 429,
permanent failures, concurrency, and secrets kept out of logs and records."""

from __future__ import annotations

import email.utils
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from deeptracy.config import Settings
from deeptracy.events.channels import set_channels
from deeptracy.events.delivery import DeliveryLoop, backoff_delay, deliver_due, notify_event
from deeptracy.events.history import list_notifications
from deeptracy.events.notifiers import webhook
from deeptracy.events.scan_events import on_scan_finished
from deeptracy.store.db import Database
from deeptracy.store.enums import DeliveryState
from deeptracy.store.models import Notification, Project
from deeptracy.vault import Vault
from tests.events.seed import finding, make_project, make_scan, pkg
from tests.support.http_receiver import HttpReceiver, Reply

TOKEN = "xoxb-SECRET-token-0123456789abcdef"
SLACK_PATH = f"/services/T0001/B0001/{TOKEN}"
HOOK_SECRET = "hmac-secret-for-the-test-0001"


def scan_event(
    database: Database,
    settings: Settings,
    vault: Vault,
    channels: list[dict[str, Any]],
    *,
    policy: str = "new",
) -> tuple[str, int]:
    """A project with `channels`, its first scan (2 findings); returns (project id, event id)."""
    django = pkg("PyPI", "Django", "3.2.0")
    lodash = pkg("npm", "lodash", "4.17.20", source="package-lock.json")
    with database.session() as session:
        project = make_project(session, policy=policy)
        set_channels(project, settings, vault, channels)
        scan = make_scan(
            session,
            project,
            "main",
            [django, lodash],
            [
                finding("GHSA-aaaa", django, "CRITICAL", aliases=["CVE-2024-1"], fixed=["3.2.1"]),
                finding("GHSA-bbbb", lodash, "HIGH", fixed=["4.17.21"]),
            ],
        )
        project_id, scan_id = project.id, scan.id
    outcome = on_scan_finished(database, settings, scan_id)
    assert outcome.event_id is not None
    return project_id, outcome.event_id


def drain(
    database: Database,
    settings: Settings,
    *,
    timeout: float = 15.0,
    until: Callable[[list[Notification]], bool] | None = None,
) -> list[Notification]:
    """Run delivery rounds until no notification is PENDING (or `until` holds)."""
    deadline = time.monotonic() + timeout
    while True:
        deliver_due(database, settings)
        with database.session() as session:
            rows = list(session.scalars(select(Notification).order_by(Notification.id)))
        if until(rows) if until else all(r.state != DeliveryState.PENDING for r in rows):
            return rows
        if time.monotonic() > deadline:
            raise AssertionError(
                f"still pending: {[(r.id, r.attempts, r.last_error) for r in rows]}"
            )
        time.sleep(0.02)


def test_slack_message_is_delivered_and_recorded(
    database: Database, notify_settings: Settings, vault: Vault, receiver: HttpReceiver
) -> None:
    project_id, event_id = scan_event(
        database, notify_settings, vault, [{"type": "slack", "url": receiver.url(SLACK_PATH)}]
    )
    (row,) = drain(database, notify_settings)
    (request,) = receiver.requests_for(SLACK_PATH)
    body = request.json()
    assert (
        body["blocks"][0]["text"]["text"] == "shop@main: 2 new vulnerabilities (1 critical, 1 high)"
    )
    assert request.header("Content-Type") == "application/json; charset=utf-8"
    assert request.header(
        "User-Agent",
    ).startswith("DeepTracy/")  # type: ignore[union-attr]
    assert (row.state, row.attempts, row.response_status, row.last_error) == (
        DeliveryState.SENT,
        1,
        200,
        None,
    )
    assert row.sent_at is not None and row.next_attempt_at is None
    with database.session() as session:
        (info,) = list_notifications(session, project_id=project_id)
    assert info.to_dict()["state"] == "SENT"
    assert info.event_id == event_id
    assert TOKEN not in info.target and info.target.startswith("127.0.0.1:")


def test_webhook_is_signed_with_the_channel_secret(
    database: Database, notify_settings: Settings, vault: Vault, receiver: HttpReceiver
) -> None:
    _, event_id = scan_event(
        database,
        notify_settings,
        vault,
        [{"type": "webhook", "url": receiver.url("/hook"), "secret": HOOK_SECRET}],
    )
    (row,) = drain(database, notify_settings)
    (request,) = receiver.requests_for("/hook")
    assert webhook.verify(HOOK_SECRET, request.body, request.header(webhook.SIGNATURE_HEADER))
    assert not webhook.verify(
        "some-other-secret-xx", request.body, request.header(webhook.SIGNATURE_HEADER)
    )
    assert request.header(webhook.EVENT_HEADER) == "scan_finished"
    assert request.header(webhook.DELIVERY_HEADER) == str(row.id)
    data = request.json()
    assert data["event"]["id"] == event_id
    assert [f["advisory_id"] for f in data["findings"]] == ["GHSA-aaaa", "GHSA-bbbb"]
    assert data["findings"][0]["fixed"] == ["3.2.1"]
    assert HOOK_SECRET not in request.body.decode()


def test_teams_card_is_delivered(
    database: Database, notify_settings: Settings, vault: Vault, receiver: HttpReceiver
) -> None:
    receiver.script("/teams", Reply(202, body=b"1"))
    scan_event(database, notify_settings, vault, [{"type": "teams", "url": receiver.url("/teams")}])
    (row,) = drain(database, notify_settings)
    assert (row.state, row.response_status) == (DeliveryState.SENT, 202)
    (request,) = receiver.requests_for("/teams")
    assert request.json()["attachments"][0]["content"]["type"] == "AdaptiveCard"


def test_transient_failures_are_retried_with_backoff(
    database: Database, notify_settings: Settings, vault: Vault, receiver: HttpReceiver
) -> None:
    receiver.script("/hook", Reply(500, body=b"oops"), Reply(502), Reply(200))
    scan_event(
        database,
        notify_settings,
        vault,
        [{"type": "webhook", "url": receiver.url("/hook"), "secret": HOOK_SECRET}],
    )
    (row,) = drain(database, notify_settings)
    first, second, third = receiver.requests_for("/hook")
    # NOTIFY_BACKOFF_SECONDS=0.2, doubled each attempt, ±20 % jitter.
    assert second.at - first.at >= 0.2 * 0.8
    assert third.at - second.at >= 0.4 * 0.8
    assert {r.header(webhook.DELIVERY_HEADER) for r in (first, second, third)} == {str(row.id)}
    assert first.body == second.body == third.body  # the same signed message each time
    assert (row.state, row.attempts, row.last_error) == (DeliveryState.SENT, 3, None)


def test_retry_state_is_recorded_between_attempts(
    database: Database, notify_settings: Settings, vault: Vault, receiver: HttpReceiver
) -> None:
    receiver.script("/hook", Reply(503, body=b"maintenance"))
    scan_event(database, notify_settings, vault, [{"type": "slack", "url": receiver.url("/hook")}])
    before = datetime.now(UTC)
    summary = deliver_due(database, notify_settings)
    assert summary.to_dict() == {"sent": 0, "retrying": 1, "failed": 0}
    with database.session() as session:
        row = session.scalars(select(Notification)).one()
        assert (row.state, row.attempts, row.response_status) == (DeliveryState.PENDING, 1, 503)
        assert row.last_error == "HTTP 503: maintenance"
        assert row.next_attempt_at is not None
        assert (
            before + timedelta(seconds=0.15) <= row.next_attempt_at <= before + timedelta(seconds=1)
        )
    # Not due yet: a round right away sends nothing.
    assert deliver_due(database, notify_settings).to_dict() == {
        "sent": 0,
        "retrying": 0,
        "failed": 0,
    }
    assert len(receiver.requests_for("/hook")) == 1


@pytest.mark.parametrize("form", ["seconds", "http-date"])
def test_429_retry_after_is_honoured(
    form: str,
    database: Database,
    notify_settings: Settings,
    vault: Vault,
    receiver: HttpReceiver,
) -> None:
    if form == "seconds":
        value = "1"
    else:
        value = email.utils.format_datetime(datetime.now(UTC) + timedelta(seconds=2), usegmt=True)
    receiver.script("/hook", Reply(429, {"Retry-After": value}, b"rate_limited"), Reply(200))
    scan_event(database, notify_settings, vault, [{"type": "slack", "url": receiver.url("/hook")}])
    (row,) = drain(database, notify_settings)
    first, second = receiver.requests_for("/hook")
    # The backoff alone would have retried after 0.2 s.
    assert second.at - first.at >= 0.95
    assert second.at - first.at < 4
    assert (row.state, row.attempts) == (DeliveryState.SENT, 2)


def test_retry_after_is_capped(
    database: Database, notify_settings: Settings, vault: Vault, receiver: HttpReceiver
) -> None:
    receiver.script("/hook", Reply(429, {"Retry-After": "86400"}, b"rate_limited"))
    scan_event(database, notify_settings, vault, [{"type": "slack", "url": receiver.url("/hook")}])
    now = datetime.now(UTC)
    deliver_due(database, notify_settings, now=now)
    with database.session() as session:
        row = session.scalars(select(Notification)).one()
    assert row.next_attempt_at == now + timedelta(
        seconds=notify_settings.notify_max_backoff_seconds
    )
    assert row.last_error == "HTTP 429: rate_limited"


def test_gives_up_after_max_attempts(
    database: Database, notify_settings: Settings, vault: Vault, receiver: HttpReceiver
) -> None:
    settings = notify_settings.model_copy(update={"notify_backoff_seconds": 0.05})
    receiver.default = Reply(500, body=b"down")
    scan_event(database, settings, vault, [{"type": "slack", "url": receiver.url("/hook")}])
    (row,) = drain(database, settings)
    assert len(receiver.requests_for("/hook")) == 4
    assert (row.state, row.attempts, row.response_status) == (DeliveryState.FAILED, 4, 500)
    assert row.last_error == "HTTP 500: down (gave up after 4 attempts)"


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (Reply(404, body=b"no_team"), "HTTP 404: no_team"),
        (Reply(410, body=b"channel_is_archived"), "HTTP 410: channel_is_archived"),
        (Reply(400, body=b"invalid_payload"), "HTTP 400: invalid_payload"),
        (
            Reply(301, {"Location": "https://elsewhere.example/"}),
            "HTTP 301: the URL redirects; give the final URL instead",
        ),
    ],
)
def test_permanent_failures_fail_at_once(
    reply: Reply,
    error: str,
    database: Database,
    notify_settings: Settings,
    vault: Vault,
    receiver: HttpReceiver,
) -> None:
    receiver.script("/hook", reply)
    scan_event(database, notify_settings, vault, [{"type": "slack", "url": receiver.url("/hook")}])
    (row,) = drain(database, notify_settings)
    assert (row.state, row.attempts, row.last_error) == (DeliveryState.FAILED, 1, error)
    assert len(receiver.requests) == 1  # the redirect was not followed


def test_a_hanging_receiver_times_out_and_is_retried(
    database: Database, notify_settings: Settings, vault: Vault, receiver: HttpReceiver
) -> None:
    settings = notify_settings.model_copy(update={"notify_timeout": 0.5})
    receiver.script("/hook", Reply(200, delay=3))
    scan_event(database, settings, vault, [{"type": "slack", "url": receiver.url("/hook")}])
    started = time.monotonic()
    deliver_due(database, settings)
    assert time.monotonic() - started < 2.5
    with database.session() as session:
        row = session.scalars(select(Notification)).one()
    assert (row.state, row.attempts, row.last_error) == (
        DeliveryState.PENDING,
        1,
        "timed out after 0.5 s",
    )
    (row,) = drain(database, settings)
    assert (row.state, row.attempts) == (DeliveryState.SENT, 2)


def test_refused_connections_are_retried(
    database: Database, notify_settings: Settings, vault: Vault
) -> None:
    dead = HttpReceiver().start()
    url = dead.url("/hook")
    dead.stop()
    scan_event(database, notify_settings, vault, [{"type": "slack", "url": url}])
    deliver_due(database, notify_settings)
    with database.session() as session:
        row = session.scalars(select(Notification)).one()
    assert row.state == DeliveryState.PENDING
    assert row.last_error is not None and row.last_error.startswith(
        "connection failed: ConnectError"
    )


def test_private_addresses_are_refused_when_not_allowed(
    database: Database, notify_settings: Settings, vault: Vault, receiver: HttpReceiver
) -> None:
    scan_event(database, notify_settings, vault, [{"type": "slack", "url": receiver.url("/hook")}])
    # The setting is turned off after the channel was saved (or a name resolves to 127.0.0.1).
    strict = notify_settings.model_copy(update={"notify_allow_private_hosts": False})
    (row,) = drain(database, strict)
    assert row.state == DeliveryState.FAILED
    assert row.last_error == "refused: 127.0.0.1 is a loopback, private or link-local address"
    assert receiver.requests == []


def _loopback_alias() -> str | None:
    """A host name other than localhost that /etc/hosts maps to a loopback address."""
    try:
        lines = Path("/etc/hosts").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        fields = line.split("#", 1)[0].split()
        if fields and fields[0].startswith("127."):
            for name in fields[1:]:
                if name != "localhost" and not name.endswith(".localhost"):
                    return name
    return None


def test_names_resolving_to_private_addresses_are_refused(
    database: Database, notify_settings: Settings, vault: Vault, receiver: HttpReceiver
) -> None:
    alias = _loopback_alias()
    if alias is None:
        pytest.skip("/etc/hosts maps no other name to a loopback address")
    url = f"http://{alias}:{receiver.port}/hook"
    scan_event(database, notify_settings, vault, [{"type": "slack", "url": url}])
    strict = notify_settings.model_copy(update={"notify_allow_private_hosts": False})
    (row,) = drain(database, strict)
    assert row.state == DeliveryState.FAILED
    assert row.last_error == (
        f"refused: {alias} resolves to 127.0.0.1, a loopback, private or link-local address"
    )
    assert receiver.requests == []


def test_secrets_never_reach_logs_or_records(
    database: Database,
    notify_settings: Settings,
    vault: Vault,
    receiver: HttpReceiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = notify_settings.model_copy(
        update={"notify_backoff_seconds": 0.05, "notify_timeout": 0.5}
    )
    # A hostile receiver echoes what it got; another hangs; a third refuses connections.
    receiver.script(
        SLACK_PATH,
        Reply(500, body=f"bad url {SLACK_PATH}".encode()),
        Reply(404, body=TOKEN.encode()),
    )
    receiver.script(
        "/hook/" + TOKEN, Reply(200, delay=2), Reply(401, body=f"secret {HOOK_SECRET}?".encode())
    )
    dead = HttpReceiver().start()
    dead_url = dead.url(f"/x/{TOKEN}")
    dead.stop()
    scan_event(
        database,
        settings,
        vault,
        [
            {"type": "slack", "url": receiver.url(SLACK_PATH)},
            {"type": "webhook", "url": receiver.url("/hook/" + TOKEN), "secret": HOOK_SECRET},
            {"type": "teams", "url": dead_url},
        ],
    )
    rows = drain(database, settings)
    assert [r.state for r in rows] == [DeliveryState.FAILED] * 3
    recorded = " ".join(f"{r.last_error} {r.target}" for r in rows)
    logged = caplog.text + " ".join(str(r.args) for r in caplog.records)
    for text in (recorded, logged):
        assert TOKEN not in text
        assert HOOK_SECRET not in text
    assert "HTTP 404: ***" in recorded
    assert "HTTP 401: secret ***?" in recorded
    assert "notification" in caplog.text  # deliveries were logged, by label only


def test_a_removed_channel_or_another_key_fails_cleanly(
    database: Database, notify_settings: Settings, vault: Vault, receiver: HttpReceiver
) -> None:
    project_id, _ = scan_event(
        database,
        notify_settings,
        vault,
        [
            {"type": "slack", "url": receiver.url("/a")},
            {"type": "slack", "url": receiver.url("/b")},
        ],
    )
    with database.session() as session:
        project = session.get(Project, project_id)
        assert project is not None
        set_channels(
            project, notify_settings, vault, [{"type": "slack", "url": receiver.url("/b")}]
        )
    rekeyed = notify_settings.model_copy(
        update={
            "secret_key": notify_settings.secret_key.__class__("an-entirely-different-server-key")
        }
    )
    rows = drain(database, rekeyed)
    assert [(r.state, r.last_error) for r in rows] == [
        (DeliveryState.FAILED, "the channel was removed from the project"),
        (
            DeliveryState.FAILED,
            "cannot decrypt a stored secret: the server key (SECRET_KEY) differs from the one it "
            "was encrypted with",
        ),
    ]
    assert receiver.requests == []


def test_two_senders_never_send_one_attempt_twice(
    database_uri: str, notify_settings: Settings, vault: Vault, receiver: HttpReceiver
) -> None:
    db = Database(database_uri)
    paths = [f"/c{i}" for i in range(6)]
    scan_event(
        db, notify_settings, vault, [{"type": "slack", "url": receiver.url(p)} for p in paths]
    )
    for path in paths:
        receiver.script(path, Reply(200, delay=0.1))
    others = [Database(database_uri) for _ in range(3)]
    threads = [threading.Thread(target=deliver_due, args=(o, notify_settings)) for o in others]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.path for r in receiver.requests) == sorted(paths)
    rows = drain(db, notify_settings)
    assert {(r.state, r.attempts) for r in rows} == {(DeliveryState.SENT, 1)}
    for other in (db, *others):
        other.dispose()


def test_notify_event_is_idempotent_and_follows_the_policy(
    database: Database, notify_settings: Settings, vault: Vault, receiver: HttpReceiver
) -> None:
    _, event_id = scan_event(
        database, notify_settings, vault, [{"type": "slack", "url": receiver.url("/a")}]
    )
    first = notify_event(database, notify_settings, event_id)
    assert len(first) == 1
    assert notify_event(database, notify_settings, event_id) == first
    assert notify_event(database, notify_settings, 10**9) == []


def test_the_delivery_loop_sends_when_woken(
    database: Database, notify_settings: Settings, vault: Vault, receiver: HttpReceiver
) -> None:
    loop = DeliveryLoop(database, notify_settings, interval=30).start()
    try:
        time.sleep(0.2)  # its first (empty) round
        scan_event(database, notify_settings, vault, [{"type": "slack", "url": receiver.url("/a")}])
        loop.wake()
        receiver.wait_for("/a", 1, timeout=10)
    finally:
        loop.stop()
    assert loop.rounds >= 2


def test_backoff_doubles_with_jitter_and_is_capped(notify_settings: Settings) -> None:
    import random

    settings = notify_settings.model_copy(
        update={"notify_backoff_seconds": 10, "notify_max_backoff_seconds": 100}
    )
    rng = random.Random(1)
    delays = [backoff_delay(settings, attempt, rng) for attempt in (1, 2, 3, 4, 5)]
    for attempt, delay in zip((1, 2, 3), delays, strict=False):
        base = 10 * 2 ** (attempt - 1)
        assert base * 0.8 <= delay <= base * 1.2
    assert delays[4] == 100  # 160 capped
    assert len({round(backoff_delay(settings, 1, rng), 6) for _ in range(20)}) > 1  # jitter
