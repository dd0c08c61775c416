"""Microsoft Teams: an Adaptive Card (1.4) posted to an incoming webhook or a Workflows URL.

Text from outside goes into `TextRun`s of `RichTextBlock`s, which Teams shows verbatim (no
markdown), so a summary cannot turn into a link or formatting.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from deeptracy.config import Settings
from deeptracy.events.channels import OpenChannel
from deeptracy.events.messages import Message, MessageFinding, one_line
from deeptracy.events.notifiers import http
from deeptracy.events.notifiers.interface import DeliveryResult, Notifier, Scrubber

_COLOR = {"CRITICAL": "Attention", "HIGH": "Attention", "MEDIUM": "Warning"}


def _run(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextRun", "text": text, **style}


def _rich(*runs: dict[str, Any], spacing: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "RichTextBlock", "inlines": list(runs)}
    if spacing:
        block["spacing"] = spacing
    return block


def _finding(finding: MessageFinding) -> dict[str, Any]:
    ids = finding.advisory_id
    if finding.alias and finding.alias != finding.advisory_id:
        ids += f" ({finding.alias})"
    if finding.closed_reason:
        tail = f" · closed: {finding.closed_reason}"
    elif finding.fixed_version:
        tail = f" · fixed in {finding.fixed_version}"
    else:
        tail = " · no fixed version yet"
    runs = [
        _run(
            f"{finding.severity.value} ",
            weight="Bolder",
            color=_COLOR.get(finding.severity.value, "Default"),
        ),
        _run(f"{finding.package} {finding.installed}", fontType="Monospace"),
        _run(f" · {ids}{tail}"),
    ]
    if finding.summary:
        runs.append(_run("\n" + one_line(finding.summary, 300), isSubtle=True))
    return _rich(*runs, spacing="Small")


def render(message: Message, top: int) -> dict[str, Any]:
    body: list[dict[str, Any]] = [
        _rich(_run(message.title, weight="Bolder", size="Medium")),
        _rich(_run(message.summary)),
    ]
    if message.counts:
        counts = " · ".join(f"{s.value.title()}: {n}" for s, n in message.counts if n) or "none"
        body.append(_rich(_run(f"{message.counts_label}: ", weight="Bolder"), _run(counts)))
    if message.failure_reason:
        body.append(
            _rich(
                _run("Reason: ", weight="Bolder"),
                _run(message.failure_detail or message.failure_reason),
            )
        )
    shown, more = message.top(top)
    if shown:
        body.append(_rich(_run(message.findings_label, weight="Bolder"), spacing="Medium"))
        body.extend(_finding(f) for f in shown)
    if more:
        body.append(_rich(_run(f"… and {more} more", isSubtle=True)))
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    if message.dashboard_url:
        card["actions"] = [
            {"type": "Action.OpenUrl", "title": "Open in DeepTracy", "url": message.dashboard_url}
        ]
    return {
        "type": "message",
        "summary": message.title,
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


class TeamsNotifier(Notifier):
    channel_type = "teams"

    def __init__(self, channel: OpenChannel, settings: Settings, client: httpx.Client) -> None:
        if not channel.url:
            raise ValueError("a Teams channel needs its webhook URL")
        self.url = channel.url
        self.settings = settings
        self.client = client
        self.scrub = Scrubber(channel.secrets)

    def send(self, message: Message, *, delivery_id: str) -> DeliveryResult:
        body = json.dumps(render(message, self.settings.notify_top_findings)).encode()
        return http.post(
            self.client,
            self.url,
            body,
            {"Content-Type": "application/json; charset=utf-8"},
            self.settings,
            self.scrub,
        )
