"""Slack incoming webhooks: a Block Kit message.

Header (the title), a section with the summary and the counts by severity as fields, one
section per listed finding (severity, package and version, advisory id and main alias, fixed
version, summary), a context line with the dashboard link. Slack's limits are respected: at
most 50 blocks, 150 characters in a header, 3000 in a section text, 10 fields. Text from
outside goes through `mrkdwn_escape` (&, < and > as entities), so an advisory summary or a
package name can neither link nor mention (`<!channel>`) anything.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from deeptracy.config import Settings
from deeptracy.events.channels import OpenChannel
from deeptracy.events.messages import Message, MessageFinding, counts_text, one_line
from deeptracy.events.notifiers import http
from deeptracy.events.notifiers.interface import DeliveryResult, Notifier, Scrubber

MAX_BLOCKS = 50
HEADER_LIMIT = 150
SECTION_LIMIT = 3000
_EMOJI = {
    "CRITICAL": "🟥",
    "HIGH": "🟧",
    "MEDIUM": "🟨",
    "LOW": "🟦",
    "NONE": "⬜",
    "UNKNOWN": "⬜",
}


def mrkdwn_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _code(text: str) -> str:
    """Inline code that a backtick in the value cannot close early."""
    return "`" + mrkdwn_escape(text.replace("`", "'")) + "`"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _finding_block(finding: MessageFinding) -> dict[str, Any]:
    ids = mrkdwn_escape(finding.advisory_id)
    if finding.alias and finding.alias != finding.advisory_id:
        ids += f" ({mrkdwn_escape(finding.alias)})"
    lines = [
        f"{_EMOJI[finding.severity.value]} *{finding.severity.value}* "
        f"{_code(finding.package)} {_code(finding.installed)} · {ids}",
    ]
    if finding.closed_reason:
        lines.append(f"Closed: {mrkdwn_escape(finding.closed_reason)}")
    elif finding.fixed_version:
        lines.append(f"Fixed in {_code(finding.fixed_version)}")
    else:
        lines.append("No fixed version yet")
    if finding.summary:
        lines.append(mrkdwn_escape(one_line(finding.summary, 500)))
    return {
        "type": "section",
        "text": {"type": "mrkdwn", "text": _cut("\n".join(lines), SECTION_LIMIT)},
    }


def render(message: Message, top: int) -> dict[str, Any]:
    """The webhook payload: Block Kit blocks plus a plain `text` fallback for notifications."""
    # Slack decodes &amp; &lt; &gt; in every text field, plain_text included: escaped here too,
    # so no `<!channel>` reaches Slack as written.
    title = mrkdwn_escape(message.title)
    if len(title) > HEADER_LIMIT:
        title = mrkdwn_escape(_cut(message.title, HEADER_LIMIT - 30))
    header = {"type": "plain_text", "text": title, "emoji": False}
    blocks: list[dict[str, Any]] = [{"type": "header", "text": header}]
    section: dict[str, Any] = {
        "type": "section",
        "text": {"type": "mrkdwn", "text": _cut(mrkdwn_escape(message.summary), SECTION_LIMIT)},
    }
    if message.counts:
        section["fields"] = [
            {"type": "mrkdwn", "text": f"*{severity.value.title()}*\n{count}"}
            for severity, count in message.counts
            if count
        ][:10] or [{"type": "mrkdwn", "text": "*Vulnerabilities*\n0"}]
    blocks.append(section)
    if message.failure_reason:
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": _cut(
                        f"*Reason:* {_code(message.failure_reason)}\n"
                        + mrkdwn_escape(message.failure_detail or ""),
                        SECTION_LIMIT,
                    ),
                },
            }
        )
    # header, section, divider, label, findings..., "more", context: keep within MAX_BLOCKS.
    shown, more = message.top(min(top, MAX_BLOCKS - 7))
    if shown:
        blocks.append({"type": "divider"})
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*{message.findings_label}*"}}
        )
        blocks.extend(_finding_block(f) for f in shown)
    if more:
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"… and {more} more"}],
            }
        )
    context = [
        {
            "type": "mrkdwn",
            "text": _cut(
                f"{mrkdwn_escape(message.target)} · {counts_text(message.counts)}"
                if message.counts
                else mrkdwn_escape(message.target),
                SECTION_LIMIT,
            ),
        }
    ]
    if message.dashboard_url:
        context.append(
            {
                "type": "mrkdwn",
                "text": f"<{mrkdwn_escape(message.dashboard_url)}|Open in DeepTracy>",
            }
        )
    blocks.append({"type": "context", "elements": context})
    return {
        "text": _cut(mrkdwn_escape(message.title), SECTION_LIMIT),
        "blocks": blocks[:MAX_BLOCKS],
        "unfurl_links": False,
        "unfurl_media": False,
    }


class SlackNotifier(Notifier):
    channel_type = "slack"

    def __init__(self, channel: OpenChannel, settings: Settings, client: httpx.Client) -> None:
        if not channel.url:
            raise ValueError("a Slack channel needs its webhook URL")
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
