"""The generic JSON webhook, signed with HMAC-SHA256.

Request: `POST` with `Content-Type: application/json` and the headers

- `X-DeepTracy-Event`: the event kind (`scan_finished`, `scan_failed`, `new_findings`,
  `findings_closed`);
- `X-DeepTracy-Delivery`: the delivery id, the same on every retry of one notification (use it
  to drop duplicates);
- `X-DeepTracy-Signature-256`: `sha256=` and the hex HMAC-SHA256 of the raw body, keyed with
  the channel's secret. Verify it over the exact bytes received, with a constant-time compare.

Body (`schema_version` 1; fields may be added, never removed or changed in meaning):

    {
      "schema_version": 1,
      "delivery_id": "42",
      "event": {"id": 7, "kind": "new_findings", "created_at": "2024-05-06T07:08:09+00:00",
                "title": "...", "summary": "..."},
      "project": {"id": "...", "name": "shop", "repository": "https://..."},
      "branch": "main", "commit": "0a1b...", "scan_id": "...", "advisory_run_id": 3,
      "counts_label": "New vulnerabilities by severity",
      "counts": {"CRITICAL": 1, "HIGH": 0, "MEDIUM": 0, "LOW": 0, "NONE": 0, "UNKNOWN": 0},
      "findings_label": "New vulnerabilities",
      "findings": [{"advisory_id": "GHSA-...", "aliases": ["CVE-..."], "severity": "CRITICAL",
                    "score": 9.8, "summary": "...",
                    "package": {"ecosystem": "PyPI", "name": "django", "version": "3.2.0",
                                "declared": null, "purl": "pkg:pypi/django@3.2.0"},
                    "fixed": ["3.2.1"], "source": "requirements.txt", "closed_reason": null}],
      "total_findings": 1,
      "failure": null,                      # or {"reason": "INVALID_BRANCH", "detail": "..."}
      "dashboard_url": "https://deeptracy.example.com/projects/..."   # or null
    }

`findings` lists every finding of the event at or above the project's minimum severity (an
event keeps at most 500), most severe first.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import httpx

from deeptracy.config import Settings
from deeptracy.events.channels import OpenChannel
from deeptracy.events.messages import Message
from deeptracy.events.notifiers import http
from deeptracy.events.notifiers.interface import DeliveryResult, Notifier, Scrubber

SCHEMA_VERSION = 1
SIGNATURE_HEADER = "X-DeepTracy-Signature-256"
EVENT_HEADER = "X-DeepTracy-Event"
DELIVERY_HEADER = "X-DeepTracy-Delivery"


def payload(message: Message, delivery_id: str) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "delivery_id": delivery_id,
        "event": {
            "id": message.event_id,
            "kind": message.kind.value,
            "created_at": message.created_at.isoformat(),
            "title": message.title,
            "summary": message.summary,
        },
        "project": {
            "id": message.project.id,
            "name": message.project.name,
            "repository": message.project.repository,
        },
        "branch": message.branch,
        "commit": message.commit,
        "scan_id": message.scan_id,
        "advisory_run_id": message.advisory_run_id,
        "counts_label": message.counts_label or None,
        "counts": {s.value: n for s, n in message.counts} if message.counts else None,
        "findings_label": message.findings_label or None,
        "findings": [f.to_dict() for f in message.findings],
        "total_findings": message.total_findings,
        "failure": (
            {"reason": message.failure_reason, "detail": message.failure_detail}
            if message.failure_reason
            else None
        ),
        "dashboard_url": message.dashboard_url,
    }


def render(message: Message, delivery_id: str) -> bytes:
    return json.dumps(payload(message, delivery_id), ensure_ascii=False, sort_keys=True).encode()


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """What a receiver does: recompute the signature and compare in constant time."""
    return header is not None and hmac.compare_digest(sign(secret, body), header.strip())


class WebhookNotifier(Notifier):
    channel_type = "webhook"

    def __init__(self, channel: OpenChannel, settings: Settings, client: httpx.Client) -> None:
        if not channel.url or not channel.secret:
            raise ValueError("a webhook channel needs its URL and secret")
        self.url = channel.url
        self.secret = channel.secret
        self.settings = settings
        self.client = client
        self.scrub = Scrubber(channel.secrets)

    def send(self, message: Message, *, delivery_id: str) -> DeliveryResult:
        body = render(message, delivery_id)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            EVENT_HEADER: message.kind.value,
            DELIVERY_HEADER: delivery_id,
            SIGNATURE_HEADER: sign(self.secret, body),
        }
        return http.post(self.client, self.url, body, headers, self.settings, self.scrub)
