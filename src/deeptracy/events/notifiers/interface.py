"""The notifier interface: one implementation per channel type, `send(message) -> result`.

A notifier never raises for a delivery problem: it returns a DeliveryResult that says whether
the message was accepted, whether trying again may help (transport errors, 5xx, 429, SMTP 4xx)
and how long the receiver asked to wait (Retry-After). Its `error` text is already free of the
channel's secrets (URLs with tokens, webhook secrets, the SMTP password).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass

from deeptracy.events.messages import Message
from deeptracy.logs import redact


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    ok: bool
    status: int | None = None  # HTTP status or SMTP reply code
    error: str | None = None
    retry: bool = False  # a later attempt may succeed
    retry_after: float | None = None  # seconds the receiver asked to wait

    @classmethod
    def sent(cls, status: int | None = None, note: str | None = None) -> DeliveryResult:
        return cls(True, status, note)

    @classmethod
    def transient(
        cls, error: str, status: int | None = None, retry_after: float | None = None
    ) -> DeliveryResult:
        return cls(False, status, error, retry=True, retry_after=retry_after)

    @classmethod
    def permanent(cls, error: str, status: int | None = None) -> DeliveryResult:
        return cls(False, status, error, retry=False)


class Scrubber:
    """Removes known secrets (and credentials in URLs, bearer tokens) from text."""

    def __init__(self, secrets: Iterable[str | None]) -> None:
        # Longest first, so a URL goes before the path it contains.
        values = {s for s in secrets if s and len(s) >= 4}
        self._secrets = sorted(values, key=len, reverse=True)

    def __call__(self, text: str, limit: int = 500) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        text = redact(text)
        return text if len(text) <= limit else text[: limit - 1] + "…"


class Notifier(ABC):
    channel_type: str

    @abstractmethod
    def send(self, message: Message, *, delivery_id: str) -> DeliveryResult:
        """Deliver `message`; `delivery_id` is stable across retries of one notification."""
