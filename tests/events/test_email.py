"""E-mail to a real SMTP server (aiosmtpd) started by each test: plain, STARTTLS, SSL, AUTH."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from deeptracy.config import Settings, SmtpSecurity
from deeptracy.events.channels import set_channels
from deeptracy.events.delivery import deliver_due
from deeptracy.events.scan_events import on_scan_finished
from deeptracy.store.db import Database
from deeptracy.store.enums import DeliveryState
from deeptracy.store.models import Notification
from deeptracy.vault import Vault
from tests.events.seed import finding, make_project, make_scan, pkg
from tests.support.smtp_server import SmtpServer

# aiosmtpd warns about AUTH without STARTTLS for the "ssl" server, which is TLS throughout.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

PASSWORD = "smtp-pa55word-never-logged"
USER = "mailer"


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[SmtpServer]]:
    started: list[SmtpServer] = []
    yield started
    for server in started:
        server.stop()


def start(servers: list[SmtpServer], tmp_path: Path, **kwargs: object) -> SmtpServer:
    server = SmtpServer(tmp_path / f"tls{len(servers)}", **kwargs).start()  # type: ignore[arg-type]
    servers.append(server)
    return server


def mail_settings(base: Settings, server: SmtpServer, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "email_smtp_server": "127.0.0.1",
        "email_smtp_port": server.port,
        "email_from": "DeepTracy <deeptracy@example.com>",
        "email_smtp_security": SmtpSecurity.NONE,
        "email_smtp_ca_file": server.ca_file,
        "notify_timeout": 5,
    }
    values.update(overrides)
    return base.model_copy(update=values)


def send_one(database: Database, settings: Settings, vault: Vault) -> Notification:
    django = pkg("PyPI", "Django", "3.2.0")
    with database.session() as session:
        project = make_project(session, name="shop")
        set_channels(
            project,
            settings,
            vault,
            [{"type": "email", "to": ["dev@example.com", "sec@example.com"]}],
        )
        scan = make_scan(
            session,
            project,
            "release/2.x",
            [django],
            [
                finding(
                    "GHSA-2222",
                    django,
                    "CRITICAL",
                    aliases=["CVE-2024-2222"],
                    summary="SQL injection in <QuerySet> & friends",
                    fixed=["3.2.25"],
                ),
                finding("GHSA-3333", django, "CRITICAL", fixed=["3.2.30"]),
            ],
        )
        scan_id = scan.id
    on_scan_finished(database, settings, scan_id)
    deliver_due(database, settings)
    with database.session() as session:
        return session.scalars(select(Notification)).one()


def test_plain_smtp_delivers_both_parts(
    database: Database,
    notify_settings: Settings,
    vault: Vault,
    servers: list[SmtpServer],
    tmp_path: Path,
) -> None:
    server = start(servers, tmp_path)
    row = send_one(database, mail_settings(notify_settings, server), vault)
    assert (row.state, row.attempts, row.response_status, row.target) == (
        DeliveryState.SENT,
        1,
        250,
        "dev@example.com, sec@example.com",
    )
    (mail,) = server.messages
    assert mail.mail_from == "deeptracy@example.com"
    assert mail.message["From"] == "DeepTracy <deeptracy@example.com>"
    assert mail.rcpt_tos == ("dev@example.com", "sec@example.com")
    message = mail.message
    assert message["Subject"] == "[DeepTracy] shop@release/2.x: 2 new critical vulnerabilities"
    assert message["To"] == "dev@example.com, sec@example.com"
    assert message["X-DeepTracy-Event"] == "scan_finished"
    plain = mail.part("text/plain")
    html = mail.part("text/html")
    assert "SQL injection in <QuerySet> & friends" in plain
    assert "- [CRITICAL] Django 3.2.0 (PyPI): GHSA-2222 (CVE-2024-2222)" in plain
    assert "Fixed in 3.2.25" in plain
    assert "SQL injection in &lt;QuerySet&gt; &amp; friends" in html
    assert "<QuerySet>" not in html
    assert "https://deeptracy.example.com/projects/" in html


def test_starttls_with_login(
    database: Database,
    notify_settings: Settings,
    vault: Vault,
    servers: list[SmtpServer],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    server = start(servers, tmp_path, tls="starttls", auth=(USER, PASSWORD))
    settings = mail_settings(
        notify_settings,
        server,
        email_smtp_security=SmtpSecurity.STARTTLS,
        email_smtp_user=USER,
        email_smtp_password=SecretStr(PASSWORD),
    )
    row = send_one(database, settings, vault)
    assert row.state == DeliveryState.SENT
    assert server.logins == [(USER, True)]
    assert len(server.messages) == 1
    assert PASSWORD not in caplog.text


def test_ssl_with_login(
    database: Database,
    notify_settings: Settings,
    vault: Vault,
    servers: list[SmtpServer],
    tmp_path: Path,
) -> None:
    server = start(servers, tmp_path, tls="ssl", auth=(USER, PASSWORD))
    settings = mail_settings(
        notify_settings,
        server,
        email_smtp_security=SmtpSecurity.SSL,
        email_smtp_user=USER,
        email_smtp_password=SecretStr(PASSWORD),
    )
    row = send_one(database, settings, vault)
    assert row.state == DeliveryState.SENT
    assert server.logins == [(USER, True)]


def test_wrong_password_fails_without_showing_it(
    database: Database,
    notify_settings: Settings,
    vault: Vault,
    servers: list[SmtpServer],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    server = start(servers, tmp_path, tls="starttls", auth=(USER, "the-right-one"))
    settings = mail_settings(
        notify_settings,
        server,
        email_smtp_security=SmtpSecurity.STARTTLS,
        email_smtp_user=USER,
        email_smtp_password=SecretStr(PASSWORD),
    )
    row = send_one(database, settings, vault)
    assert row.state == DeliveryState.FAILED
    assert row.attempts == 1
    assert row.response_status == 535
    assert row.last_error is not None
    assert row.last_error.startswith("SMTP authentication failed: 535 ")
    assert PASSWORD not in row.last_error
    assert PASSWORD not in caplog.text
    assert server.messages == []


def test_starttls_is_required_when_asked(
    database: Database,
    notify_settings: Settings,
    vault: Vault,
    servers: list[SmtpServer],
    tmp_path: Path,
) -> None:
    server = start(servers, tmp_path)  # plain: no STARTTLS offered
    settings = mail_settings(notify_settings, server, email_smtp_security=SmtpSecurity.STARTTLS)
    row = send_one(database, settings, vault)
    assert row.state == DeliveryState.FAILED
    assert row.last_error == (
        "SMTP: the server does not offer STARTTLS (EMAIL_SMTP_SECURITY=starttls)"
    )
    assert server.messages == []


def test_an_untrusted_certificate_is_refused(
    database: Database,
    notify_settings: Settings,
    vault: Vault,
    servers: list[SmtpServer],
    tmp_path: Path,
) -> None:
    server = start(servers, tmp_path, tls="starttls")
    settings = mail_settings(
        notify_settings, server, email_smtp_security=SmtpSecurity.STARTTLS, email_smtp_ca_file=None
    )
    row = send_one(database, settings, vault)
    assert row.state == DeliveryState.FAILED
    assert row.last_error is not None
    assert row.last_error.startswith("the SMTP server's certificate was not accepted: ")
    assert server.messages == []


def test_an_unreachable_server_is_retried(
    database: Database,
    notify_settings: Settings,
    vault: Vault,
    servers: list[SmtpServer],
    tmp_path: Path,
) -> None:
    server = start(servers, tmp_path)
    port = server.port
    server.stop()
    servers.remove(server)
    settings = notify_settings.model_copy(
        update={
            "email_smtp_server": "127.0.0.1",
            "email_smtp_port": port,
            "email_from": "deeptracy@example.com",
            "email_smtp_security": SmtpSecurity.NONE,
        }
    )
    row = send_one(database, settings, vault)
    assert row.state == DeliveryState.PENDING
    assert (
        row.last_error
        == "SMTP connection failed: ConnectionRefusedError: [Errno 111] Connection refused"
    )


def test_missing_configuration_fails_at_once(
    database: Database, notify_settings: Settings, vault: Vault
) -> None:
    row = send_one(database, notify_settings, vault)
    assert (row.state, row.attempts, row.last_error) == (
        DeliveryState.FAILED,
        1,
        "e-mail is not configured: set EMAIL_SMTP_SERVER and EMAIL_FROM",
    )


def test_refused_recipients(
    database: Database,
    notify_settings: Settings,
    vault: Vault,
    servers: list[SmtpServer],
    tmp_path: Path,
) -> None:
    server = start(servers, tmp_path)
    server.refuse["sec@example.com"] = "550 5.1.1 no such user"
    row = send_one(database, mail_settings(notify_settings, server), vault)
    # One of two refused: sent to the other, the refusal noted.
    assert (row.state, row.last_error) == (
        DeliveryState.SENT,
        "some recipients were refused: sec@example.com",
    )
    assert server.messages[0].rcpt_tos == ("dev@example.com",)


@pytest.mark.parametrize(
    ("reply", "state"),
    [
        ("550 5.1.1 no such user", DeliveryState.FAILED),
        ("450 4.2.1 try later", DeliveryState.PENDING),
    ],
)
def test_every_recipient_refused(
    reply: str,
    state: DeliveryState,
    database: Database,
    notify_settings: Settings,
    vault: Vault,
    servers: list[SmtpServer],
    tmp_path: Path,
) -> None:
    server = start(servers, tmp_path)
    server.refuse.update({"dev@example.com": reply, "sec@example.com": reply})
    row = send_one(database, mail_settings(notify_settings, server), vault)
    assert row.state == state
    assert row.last_error == f"every recipient was refused: {reply}"
    assert server.messages == []
