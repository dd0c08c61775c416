"""Channel settings: validation, encryption at rest, safe display, the original's hook fields."""

from __future__ import annotations

import json

import pytest

from deeptracy.config import Settings
from deeptracy.events.channels import (
    ChannelError,
    ChannelType,
    channels_from_original,
    find_channel,
    open_channel,
    present_channels,
    redacted_url,
    set_channels,
    stored_channels,
)
from deeptracy.store.db import Database
from deeptracy.store.models import Project
from deeptracy.vault import Vault, VaultError
from tests.events.seed import make_project

SLACK = "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXabcd"
TEAMS = "https://acme.webhook.office.com/webhookb2/0000-1111/IncomingWebhook/ffff/9999"
HOOK = "https://ci.example.com/deeptracy/hook?token=tok-1234567890-zz"
SECRET = "webhook-signing-secret-42"


def strict(notify_settings: Settings) -> Settings:
    return notify_settings.model_copy(
        update={"allow_http_notifications": False, "notify_allow_private_hosts": False}
    )


def test_channels_are_encrypted_at_rest_and_shown_redacted(
    notify_settings: Settings, vault: Vault
) -> None:
    project = Project(name="shop", channels=[])
    shown = set_channels(
        project,
        strict(notify_settings),
        vault,
        [
            {"type": "slack", "url": SLACK},
            {"type": "email", "to": ["dev@example.com", "ops@example.com", "dev@example.com"]},
            {"type": "webhook", "url": HOOK, "secret": SECRET},
            {"type": "teams", "url": TEAMS},
        ],
    )
    stored = json.dumps(project.channels)
    for secret in (SLACK, "XXXXXXXXXXXXXXXXXXXXabcd", HOOK, "tok-1234567890", SECRET, TEAMS):
        assert secret not in stored
        assert secret not in json.dumps(shown)
    assert [c["type"] for c in shown] == ["slack", "email", "webhook", "teams"]
    assert shown[0]["target"] == "hooks.slack.com/…abcd"
    assert shown[1] == {
        "id": shown[1]["id"],
        "type": "email",
        "target": "dev@example.com, ops@example.com",
        "to": ["dev@example.com", "ops@example.com"],
    }
    assert shown[2]["target"] == "ci.example.com/…0-zz"
    assert shown[2]["secret"] == "set"
    assert shown[3]["target"] == "acme.webhook.office.com/…9999"
    assert len({c["id"] for c in shown}) == 4

    opened = {c.type: open_channel(vault, c) for c in stored_channels(project)}
    assert opened[ChannelType.SLACK].url == SLACK
    assert opened[ChannelType.WEBHOOK].url == HOOK
    assert opened[ChannelType.WEBHOOK].secret == SECRET
    assert opened[ChannelType.EMAIL].to == ("dev@example.com", "ops@example.com")
    assert SECRET not in repr(opened[ChannelType.WEBHOOK])
    assert HOOK not in repr(opened[ChannelType.WEBHOOK])


def test_another_server_key_cannot_open_the_channels(
    notify_settings: Settings, vault: Vault
) -> None:
    project = Project(name="shop", channels=[])
    set_channels(project, notify_settings, vault, [{"type": "slack", "url": SLACK}])
    other = Vault(b"another-server-key-of-enough-length")
    with pytest.raises(VaultError, match="SECRET_KEY"):
        open_channel(other, stored_channels(project)[0])


@pytest.mark.parametrize(
    ("channel", "message"),
    [
        (
            {"type": "slack", "url": "http://hooks.slack.com/x"},
            r"channels\[0\]\.url: must be an https:// URL "
            r"\(plain http:// needs ALLOW_HTTP_NOTIFICATIONS\)",
        ),
        (
            {"type": "slack", "url": "ftp://hooks.slack.com/x"},
            r"channels\[0\]\.url: must be an https:// URL",
        ),
        (
            {"type": "slack", "url": "https://user:pw@hooks.slack.com/x"},
            r"must not carry a user name or password",
        ),
        (
            {"type": "slack", "url": "https://127.0.0.1/hook"},
            r"127\.0\.0\.1 is a loopback, private or link-local address",
        ),
        (
            {"type": "slack", "url": "https://169.254.169.254/latest"},
            r"169\.254\.169\.254 is a loopback",
        ),
        ({"type": "slack", "url": "https://localhost:8080/x"}, r"localhost is a loopback"),
        ({"type": "slack", "url": "https://[::1]/x"}, r"::1 is a loopback"),
        ({"type": "slack", "url": "https://10.1.2.3/x"}, r"10\.1\.2\.3 is a loopback"),
        ({"type": "slack", "url": "https://hooks.slack.com/a b"}, r"spaces or control characters"),
        ({"type": "slack", "url": "https://hooks.slack.com/x#frag"}, r"must not have a #fragment"),
        ({"type": "slack", "url": "https:///path"}, r"has no host"),
        ({"type": "slack", "url": "https://h:99999/x"}, r"not a valid URL"),
        ({"type": "slack", "url": "https://h/" + "a" * 2100}, r"longer than 2048 characters"),
        ({"type": "slack"}, r"channels\[0\]\.url: required for a new slack channel"),
        ({"type": "webhook", "url": HOOK}, r"channels\[0\]\.secret: required for a new webhook"),
        ({"type": "webhook", "url": HOOK, "secret": "short"}, r"16 to 512 characters"),
        (
            {"type": "email", "to": ["not-an-address"]},
            r"channels\[0\]\.to\[0\]: 'not-an-address' is not an e-mail address",
        ),
        ({"type": "email", "to": ["a@b.com\r\nBcc: x@y.com"]}, r"is not an e-mail address"),
        (
            {"type": "email", "to": []},
            r"channels\[0\]\.email\.to: List should have at least 1 item",
        ),
        (
            {"type": "pager", "url": SLACK},
            r"channels\[0\]: Input tag 'pager' found using 'type' does not match",
        ),
        (
            {"type": "slack", "url": SLACK, "channel": "#x"},
            r"channels\[0\]\.slack\.channel: Extra inputs are not permitted",
        ),
        (
            {"type": "slack", "url": SLACK, "id": "nope"},
            r"channels\[0\]\.id: no slack channel 'nope' on this project",
        ),
    ],
)
def test_invalid_channels_are_refused_precisely(
    notify_settings: Settings, vault: Vault, channel: dict[str, object], message: str
) -> None:
    project = Project(name="shop", channels=[])
    set_channels(project, notify_settings, vault, [{"type": "teams", "url": TEAMS}])
    before = list(project.channels)
    with pytest.raises(ChannelError, match=message):
        set_channels(project, strict(notify_settings), vault, [channel])
    assert project.channels == before


def test_too_many_channels_and_recipients(notify_settings: Settings, vault: Vault) -> None:
    project = Project(name="shop", channels=[])
    with pytest.raises(ChannelError, match="at most 20 channels"):
        set_channels(project, notify_settings, vault, [{"type": "slack", "url": SLACK}] * 21)
    with pytest.raises(ChannelError, match="at most 50 recipients"):
        set_channels(
            project,
            notify_settings,
            vault,
            [{"type": "email", "to": [f"u{i}@example.com" for i in range(51)]}],
        )


def test_http_and_private_hosts_need_their_settings(
    notify_settings: Settings, vault: Vault
) -> None:
    project = Project(name="shop", channels=[])
    shown = set_channels(
        project, notify_settings, vault, [{"type": "slack", "url": "http://127.0.0.1:9/hook"}]
    )
    assert shown[0]["target"] == "127.0.0.1:9"


def test_editing_keeps_ids_and_omitted_secrets(notify_settings: Settings, vault: Vault) -> None:
    project = Project(name="shop", channels=[])
    first = set_channels(
        project,
        notify_settings,
        vault,
        [{"type": "webhook", "url": HOOK, "secret": SECRET}, {"type": "slack", "url": SLACK}],
    )
    hook_id, slack_id = first[0]["id"], first[1]["id"]
    # The webhook is named by id without its URL or secret; the Slack URL is given again.
    second = set_channels(
        project,
        notify_settings,
        vault,
        [{"type": "webhook", "id": hook_id}, {"type": "slack", "url": SLACK}],
    )
    assert [c["id"] for c in second] == [hook_id, slack_id]
    webhook = find_channel(project, hook_id)
    assert webhook is not None
    opened = open_channel(vault, webhook)
    assert (opened.url, opened.secret) == (HOOK, SECRET)
    # A new secret replaces the old one; the URL stays.
    set_channels(
        project,
        notify_settings,
        vault,
        [{"type": "webhook", "id": hook_id, "secret": "another-secret-of-16+"}],
    )
    webhook = find_channel(project, hook_id)
    assert webhook is not None
    assert open_channel(vault, webhook).secret == "another-secret-of-16+"
    assert open_channel(vault, webhook).url == HOOK
    # An empty list removes every channel.
    assert set_channels(project, notify_settings, vault, []) == []
    assert project.channels == []


def test_unreadable_stored_entries_are_ignored() -> None:
    project = Project(
        name="shop",
        channels=[{"type": "slack"}, {"id": "x1", "type": "email", "to": ["a@example.com"]}, 42],
    )
    assert present_channels(project) == [
        {"id": "x1", "type": "email", "target": "a@example.com", "to": ["a@example.com"]}
    ]


def test_redacted_url_shows_host_and_last_four() -> None:
    assert redacted_url(SLACK) == "hooks.slack.com/…abcd"
    assert redacted_url("https://h.example/short") == "h.example"
    assert redacted_url("http://127.0.0.1:8080/a/very/long/path") == "127.0.0.1:8080/…path"


def test_the_original_hook_fields_map_onto_channels(
    notify_settings: Settings, vault: Vault
) -> None:
    assert channels_from_original("NONE") == []
    assert channels_from_original(None, None, "dev@example.com") == [
        {"type": "email", "to": ["dev@example.com"]}
    ]
    assert channels_from_original("SLACK", SLACK) == [{"type": "slack", "url": SLACK}]
    assert channels_from_original("email", "dev@example.com") == [
        {"type": "email", "to": ["dev@example.com"]}
    ]
    assert channels_from_original("SLACK_EMAIL", SLACK, "dev@example.com") == [
        {"type": "slack", "url": SLACK},
        {"type": "email", "to": ["dev@example.com"]},
    ]
    with pytest.raises(ChannelError, match="hook_data: a SLACK hook needs the webhook URL"):
        channels_from_original("SLACK")
    with pytest.raises(ChannelError, match="needs the webhook URL \\(hook_data\\) and an e-mail"):
        channels_from_original("SLACK_EMAIL", SLACK)
    with pytest.raises(ChannelError, match="hook_type: unknown value 'IRC'"):
        channels_from_original("IRC", "x")
    project = Project(name="shop", channels=[])
    shown = set_channels(
        project,
        notify_settings,
        vault,
        channels_from_original("SLACK_EMAIL", SLACK, "a@example.com"),
    )
    assert [c["type"] for c in shown] == ["slack", "email"]


def test_channels_survive_the_database(
    database: Database, notify_settings: Settings, vault: Vault
) -> None:
    with database.session() as session:
        project = make_project(session)
        set_channels(
            project, notify_settings, vault, [{"type": "webhook", "url": HOOK, "secret": SECRET}]
        )
        project_id = project.id
    with database.session() as session:
        project = session.get(Project, project_id)
        assert project is not None
        (channel,) = stored_channels(project)
        assert open_channel(vault, channel).secret == SECRET
        assert HOOK not in json.dumps(project.channels)
