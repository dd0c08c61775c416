"""Messages: titles and lists per event kind, and each format's rendering and escaping."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from deeptracy.config import Settings
from deeptracy.events.history import EventInfo
from deeptracy.events.messages import Message, ProjectRef, build_message
from deeptracy.events.notifiers import email as email_notifier
from deeptracy.events.notifiers import slack, teams, webhook
from deeptracy.severity import Severity
from deeptracy.store.enums import EventKind

PROJECT = ProjectRef("p-1", "shop", "https://git.example.com/acme/shop.git")
HOSTILE = "<!channel> <https://evil.example|click> & *bold* `code` <script>alert(1)</script>"


def entry(
    advisory_id: str,
    severity: str = "HIGH",
    package: str = "django",
    version: str | None = "3.2.0",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "finding_id": 1,
        "advisory_id": advisory_id,
        "aliases": extra.pop("aliases", ["CVE-2024-0001", "PYSEC-2024-1"]),
        "severity": severity,
        "score": extra.pop("score", None),
        "summary": extra.pop("summary", f"summary of {advisory_id}"),
        "ecosystem": "PyPI",
        "package": package,
        "version": version,
        "declared": extra.pop("declared", None),
        "purl": f"pkg:pypi/{package}@{version}",
        "fixed": extra.pop("fixed", ["3.2.1"]),
        "source": "requirements.txt",
        "origin": "scan",
        "closed_reason": extra.pop("closed_reason", None),
    }


def event(kind: EventKind, payload: dict[str, Any], branch: str | None = "main") -> EventInfo:
    return EventInfo(
        id=7,
        project_id=PROJECT.id,
        branch=branch,
        scan_id="s-1",
        advisory_run_id=None,
        kind=kind.value,
        summary="",
        payload=payload,
        created_at=datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC),
    )


def counts(**values: int) -> dict[str, int]:
    return {s.value: values.get(s.value.lower(), 0) for s in Severity}


def finished(
    new: list[dict[str, Any]], top: list[dict[str, Any]] | None = None, **c: int
) -> EventInfo:
    new_counts: dict[str, int] = {}
    for e in new:
        new_counts[e["severity"]] = new_counts.get(e["severity"], 0) + 1
    return event(
        EventKind.SCAN_FINISHED,
        {
            "state": "DONE",
            "commit": "0123456789abcdef",
            "total_packages": 120,
            "counts": counts(**c),
            "new_counts": new_counts,
            "new": new,
            "top": top if top is not None else new,
        },
    )


def test_scan_titles(settings: Settings) -> None:
    two_critical = finished([entry("A", "CRITICAL"), entry("B", "CRITICAL")], critical=2, low=1)
    message = build_message(two_critical, PROJECT, settings)
    assert message.title == "shop@main: 2 new critical vulnerabilities"
    assert message.subject == "[DeepTracy] shop@main: 2 new critical vulnerabilities"
    assert message.summary == (
        "The scan of shop@main at 0123456789ab found 3 vulnerabilities in 120 packages; 2 are new."
    )
    assert [s for s, n in message.counts if n] == [Severity.CRITICAL, Severity.LOW]

    mixed = finished(
        [entry("A", "HIGH"), entry("B", "CRITICAL"), entry("C", "HIGH")], high=2, critical=1
    )
    message = build_message(mixed, PROJECT, settings)
    assert message.title == "shop@main: 3 new vulnerabilities (1 critical, 2 high)"
    assert [f.advisory_id for f in message.findings] == ["B", "A", "C"]  # most severe first

    one = finished([entry("A", "MEDIUM")], medium=1)
    assert build_message(one, PROJECT, settings).title == "shop@main: 1 new medium vulnerability"

    none_new = finished([], [entry("A", "LOW")], low=1)
    message = build_message(none_new, PROJECT, settings)
    assert message.title == "shop@main: scan finished, 1 open vulnerability, none new"
    assert message.findings_label == "Most severe open vulnerabilities"
    assert [f.advisory_id for f in message.findings] == ["A"]

    clean = finished([], [])
    message = build_message(clean, PROJECT, settings)
    assert message.title == "shop@main: scan finished, no vulnerabilities"
    assert message.findings == ()

    failed = event(
        EventKind.SCAN_FAILED,
        {"state": "FAILED", "failure_reason": "INVALID_BRANCH", "failure_detail": "no branch 'x'"},
    )
    message = build_message(failed, PROJECT, settings)
    assert message.title == "shop@main: scan failed (INVALID_BRANCH)"
    assert message.summary == "The scan of shop@main failed: no branch 'x'."


def test_minimum_severity_filters_the_list_not_the_counts(settings: Settings) -> None:
    scan = finished(
        [entry("A", "CRITICAL"), entry("B", "LOW"), entry("C", "UNKNOWN")],
        critical=1,
        low=1,
        unknown=1,
    )
    message = build_message(scan, PROJECT, settings, Severity.HIGH)
    assert message.title == "shop@main: 1 new critical vulnerability"
    assert [f.advisory_id for f in message.findings] == ["A"]
    assert sum(n for _, n in message.counts) == 3
    # UNKNOWN ranks above LOW: a LOW threshold keeps it.
    message = build_message(scan, PROJECT, settings, Severity.MEDIUM)
    assert [f.advisory_id for f in message.findings] == ["A"]
    message = build_message(scan, PROJECT, settings, Severity.LOW)
    assert [f.advisory_id for f in message.findings] == ["A", "B", "C"]


def test_monitoring_titles(settings: Settings) -> None:
    new = event(
        EventKind.NEW_FINDINGS,
        {"count": 1, "counts": counts(critical=1), "findings": [entry("GHSA-1", "CRITICAL")]},
    )
    message = build_message(new, PROJECT, settings)
    assert message.title == "shop@main: 1 new critical vulnerability from an advisory update"
    closed = event(
        EventKind.FINDINGS_CLOSED,
        {
            "count": 2,
            "counts": counts(high=2),
            "findings": [
                entry("GHSA-1", closed_reason="advisory withdrawn"),
                entry("GHSA-2", closed_reason="advisory no longer covers 3.2.0"),
            ],
        },
    )
    message = build_message(closed, PROJECT, settings)
    assert message.title == "shop@main: 2 vulnerabilities closed by an advisory update"
    assert [f.closed_reason for f in message.findings] == [
        "advisory withdrawn",
        "advisory no longer covers 3.2.0",
    ]


def test_dashboard_link_needs_public_url(settings: Settings, notify_settings: Settings) -> None:
    scan = finished([entry("A")], high=1)
    assert build_message(scan, PROJECT, settings).dashboard_url is None
    assert (
        build_message(scan, PROJECT, notify_settings).dashboard_url
        == "https://deeptracy.example.com/projects/p-1/scans/s-1"
    )


def test_main_alias_prefers_the_cve(settings: Settings) -> None:
    message = build_message(
        finished([entry("GHSA-x", aliases=["PYSEC-1", "CVE-2024-9"])], high=1), PROJECT, settings
    )
    assert message.findings[0].alias == "CVE-2024-9"
    message = build_message(
        finished([entry("GHSA-x", aliases=["PYSEC-1"])], high=1), PROJECT, settings
    )
    assert message.findings[0].alias == "PYSEC-1"


def hostile_message(settings: Settings, many: int = 1) -> Message:
    findings = [
        entry(f"GHSA-{i:04d}", "CRITICAL", package=f"pkg{i}`<b>", summary=HOSTILE, fixed=[])
        for i in range(many)
    ]
    project = ProjectRef("p-1", "shop <!here> " + "x" * 300, None)
    return build_message(finished(findings, critical=many), project, settings)


def test_slack_block_kit_escapes_and_respects_limits(notify_settings: Settings) -> None:
    payload = slack.render(hostile_message(notify_settings, many=100), top=45)
    text = json.dumps(payload)
    assert "<!channel>" not in text and "<!here>" not in text
    assert "<https://evil.example|click>" not in text
    assert "&lt;!channel&gt;" in text
    assert "&lt;script&gt;" in text
    blocks = payload["blocks"]
    assert len(blocks) <= 50
    assert blocks[0]["type"] == "header"
    assert len(blocks[0]["text"]["text"]) <= 150
    assert blocks[0]["text"]["type"] == "plain_text"
    for block in blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
            assert len(block.get("fields", [])) <= 10
    assert blocks[-2]["elements"][0]["text"] == "… and 57 more"
    assert blocks[-1]["elements"][-1]["text"] == (
        "<https://deeptracy.example.com/projects/p-1/scans/s-1|Open in DeepTracy>"
    )
    finding_block = blocks[4]["text"]["text"]
    assert finding_block.startswith(
        "🟥 *CRITICAL* `pkg0'&lt;b&gt;` `3.2.0` · GHSA-0000 (CVE-2024-0001)"
    )
    assert "No fixed version yet" in finding_block
    assert payload["unfurl_links"] is False


def test_slack_counts_and_fixed_versions(settings: Settings) -> None:
    message = build_message(
        finished([entry("A", "CRITICAL", fixed=["3.2.1", "4.0"])], critical=1, high=2),
        PROJECT,
        settings,
    )
    payload = slack.render(message, top=10)
    fields = payload["blocks"][1]["fields"]
    assert fields == [
        {"type": "mrkdwn", "text": "*Critical*\n1"},
        {"type": "mrkdwn", "text": "*High*\n2"},
    ]
    assert "Fixed in `3.2.1`" in payload["blocks"][4]["text"]["text"]
    assert payload["text"] == "shop@main: 1 new critical vulnerability"
    # Without PUBLIC_URL the context has no link.
    assert all("Open in DeepTracy" not in e["text"] for e in payload["blocks"][-1]["elements"])


def test_teams_card_keeps_outside_text_out_of_markdown(notify_settings: Settings) -> None:
    payload = teams.render(hostile_message(notify_settings, many=3), top=10)
    card = payload["attachments"][0]["content"]
    assert payload["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["type"] == "AdaptiveCard"
    for block in card["body"]:
        assert block["type"] == "RichTextBlock"  # TextRuns are never parsed as markdown
        assert all(run["type"] == "TextRun" for run in block["inlines"])
    texts = [run["text"] for block in card["body"] for run in block["inlines"]]
    assert any(HOSTILE in t for t in texts)
    assert card["actions"][0]["url"] == "https://deeptracy.example.com/projects/p-1/scans/s-1"


def test_webhook_payload_schema(notify_settings: Settings) -> None:
    message = build_message(
        finished(
            [entry("GHSA-1", "CRITICAL", score=9.8), entry("GHSA-2", "LOW")], critical=1, low=1
        ),
        PROJECT,
        notify_settings,
    )
    body = webhook.render(message, "42")
    data = json.loads(body)
    assert data == {
        "schema_version": 1,
        "delivery_id": "42",
        "event": {
            "id": 7,
            "kind": "scan_finished",
            "created_at": "2024-05-06T07:08:09+00:00",
            "title": "shop@main: 2 new vulnerabilities (1 critical, 1 low)",
            "summary": message.summary,
        },
        "project": {
            "id": "p-1",
            "name": "shop",
            "repository": "https://git.example.com/acme/shop.git",
        },
        "branch": "main",
        "commit": "0123456789abcdef",
        "scan_id": "s-1",
        "advisory_run_id": None,
        "counts_label": "Open vulnerabilities by severity",
        "counts": {"CRITICAL": 1, "HIGH": 0, "MEDIUM": 0, "LOW": 1, "NONE": 0, "UNKNOWN": 0},
        "findings_label": "New vulnerabilities",
        "findings": [
            {
                "advisory_id": "GHSA-1",
                "aliases": ["CVE-2024-0001", "PYSEC-2024-1"],
                "severity": "CRITICAL",
                "score": 9.8,
                "summary": "summary of GHSA-1",
                "package": {
                    "ecosystem": "PyPI",
                    "name": "django",
                    "version": "3.2.0",
                    "declared": None,
                    "purl": "pkg:pypi/django@3.2.0",
                },
                "fixed": ["3.2.1"],
                "source": "requirements.txt",
                "closed_reason": None,
            },
            {**data["findings"][1], "advisory_id": "GHSA-2", "severity": "LOW", "score": None},
        ],
        "total_findings": 2,
        "failure": None,
        "dashboard_url": "https://deeptracy.example.com/projects/p-1/scans/s-1",
    }
    signature = webhook.sign("s3cr3t-s3cr3t-s3cr3t", body)
    assert webhook.verify("s3cr3t-s3cr3t-s3cr3t", body, signature)
    assert not webhook.verify("another-secret-value", body, signature)
    assert not webhook.verify("s3cr3t-s3cr3t-s3cr3t", body + b" ", signature)


def test_email_has_both_parts_escaped_html_and_one_line_subject(notify_settings: Settings) -> None:
    message = hostile_message(notify_settings, many=12)
    email = email_notifier.render(
        message, notify_settings, ("dev@example.com",), "deeptracy@example.com"
    )
    assert email["Subject"].startswith("[DeepTracy] shop <!here> xxx")
    assert "\n" not in email["Subject"]
    assert email["To"] == "dev@example.com"
    assert email["Auto-Submitted"] == "auto-generated"
    assert email.get_content_type() == "multipart/alternative"
    html = email.get_body(("html",)).get_content()  # type: ignore[union-attr]
    plain = email.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '<a href="https://deeptracy.example.com/projects/p-1/scans/s-1">' in html
    assert "… and 2 more" in html
    assert HOSTILE in plain  # plain text shows it as it is
    assert "Open in DeepTracy: https://deeptracy.example.com/projects/p-1/scans/s-1" in plain
    assert "- [CRITICAL] pkg0`<b> 3.2.0 (PyPI): GHSA-0000 (CVE-2024-0001)" in plain
    assert "... and 2 more" in plain


@pytest.mark.parametrize("kind", list(EventKind))
def test_every_kind_renders_everywhere(kind: EventKind, notify_settings: Settings) -> None:
    payload = {
        "count": 1,
        "counts": counts(high=1),
        "findings": [entry("GHSA-1")],
        "new": [entry("GHSA-1")],
        "new_counts": counts(high=1),
        "failure_reason": "TIMEOUT",
    }
    message = build_message(event(kind, payload, branch=None), PROJECT, notify_settings)
    assert message.title.startswith("shop")
    assert slack.render(message, 10)["blocks"]
    assert teams.render(message, 10)["attachments"]
    assert json.loads(webhook.render(message, "1"))["event"]["kind"] == kind.value
    assert email_notifier.render(message, notify_settings, ("a@example.com",), "b@example.com")[
        "Subject"
    ]
