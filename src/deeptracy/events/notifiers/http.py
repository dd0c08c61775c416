"""Posting a notification over HTTP(S): timeouts, no redirects, outcome classification.

2xx is sent. 429 and 503 are retried after Retry-After (seconds or an HTTP date) when given;
408, 425 and other 5xx, timeouts and connection errors are retried with backoff. Any other
status (400, 401, 403, 404, 410...) and redirects fail at once: the URL or the payload is wrong
and retrying cannot help. Before connecting, the host's addresses are checked: a name that
resolves to a loopback, private or link-local address is refused unless
NOTIFY_ALLOW_PRIVATE_HOSTS (so a channel URL cannot reach internal services).
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from urllib.parse import urlsplit

import httpx

from deeptracy import __version__
from deeptracy.advisories.http import retry_after
from deeptracy.config import Settings
from deeptracy.events.channels import is_private_host
from deeptracy.events.notifiers.interface import DeliveryResult, Scrubber

USER_AGENT = f"DeepTracy/{__version__} (notifications)"
_RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
_MAX_BODY = 2048
_sending = threading.local()


class _QuietWhileSending(logging.Filter):
    """httpx logs every request with its full URL at INFO; a notification URL is a secret
    (Slack and Teams tokens live in the path), so those records are dropped while this thread
    sends a notification."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(_sending, "active", False)


_FILTER = _QuietWhileSending()
logging.getLogger("httpx").addFilter(_FILTER)


@contextmanager
def _quiet() -> Iterator[None]:
    _sending.active = True
    try:
        yield
    finally:
        _sending.active = False


def new_client(settings: Settings) -> httpx.Client:
    return httpx.Client(
        timeout=httpx.Timeout(settings.notify_timeout),
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT},
        trust_env=False,  # no proxy or netrc credentials picked up from the environment
    )


def refused_host(url: str, settings: Settings) -> str | None:
    """Why `url`'s host may not be contacted, or None."""
    if settings.notify_allow_private_hosts:
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    if is_private_host(host):
        return f"{host} is a loopback, private or link-local address"
    try:
        infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
    except OSError:
        return None  # the request itself reports the resolution failure (and is retried)
    for info in infos:
        address = str(info[4][0])
        if is_private_host(address):
            return f"{host} resolves to {address}, a loopback, private or link-local address"
    return None


def post(
    client: httpx.Client,
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    settings: Settings,
    scrub: Scrubber,
) -> DeliveryResult:
    refusal = refused_host(url, settings)
    if refusal:
        return DeliveryResult.permanent(scrub(f"refused: {refusal}"))
    try:
        with (
            _quiet(),
            client.stream("POST", url, content=body, headers=dict(headers)) as response,
        ):
            status = response.status_code
            text = _read_some(response)
            wait = retry_after(response.headers.get("Retry-After"))
    except httpx.TimeoutException:
        return DeliveryResult.transient(f"timed out after {settings.notify_timeout:g} s")
    except httpx.TransportError as exc:
        return DeliveryResult.transient(scrub(f"connection failed: {type(exc).__name__}: {exc}"))
    if 200 <= status < 300:
        return DeliveryResult.sent(status)
    described = f"HTTP {status}" + (f": {scrub(text, 200)}" if text else "")
    if status in _RETRY_STATUS:
        return DeliveryResult.transient(described, status, wait if status in (429, 503) else None)
    if 300 <= status < 400:
        return DeliveryResult.permanent(
            f"HTTP {status}: the URL redirects; give the final URL instead", status
        )
    return DeliveryResult.permanent(described, status)


def _read_some(response: httpx.Response) -> str:
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size >= _MAX_BODY:
                break
    except httpx.HTTPError:
        pass
    text = b"".join(chunks)[:_MAX_BODY].decode("utf-8", "replace")
    return " ".join(text.split())
