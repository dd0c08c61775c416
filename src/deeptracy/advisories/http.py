"""HTTP for advisory buckets: httpx with timeouts, and retries with backoff on transport
errors, 5xx and 429 (honouring Retry-After). A 404 is an answer, not a failure to retry."""

from __future__ import annotations

import email.utils
import io
import logging
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import IO

import httpx

from deeptracy import __version__
from deeptracy.advisories.progress import NULL_PROGRESS, Progress
from deeptracy.logs import redact

log = logging.getLogger(__name__)

_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


class HttpError(Exception):
    """A request that failed for good (after retries), with a message naming the URL."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class NotFound(HttpError):
    pass


class TooLarge(HttpError):
    pass


def retry_after(
    value: str | None, now: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now()).total_seconds())


class HttpClient:
    def __init__(
        self,
        *,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 0.5,
        max_wait: float = 60.0,
    ) -> None:
        self.retries = retries
        self.backoff = backoff
        self.max_wait = max_wait
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout),
            follow_redirects=True,
            headers={"User-Agent": f"deeptracy/{__version__}"},
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _wait(self, attempt: int, response: httpx.Response | None) -> None:
        delay = self.backoff * (2**attempt) * (1 + random.random() / 4)
        if response is not None:
            hinted = retry_after(response.headers.get("Retry-After"))
            if hinted is not None:
                delay = hinted
        time.sleep(min(delay, self.max_wait))

    def get(self, url: str, max_bytes: int = 64 * 1024 * 1024) -> bytes:
        """The body of a 200 answer, refused (TooLarge) past `max_bytes`; NotFound for
        404/410, HttpError for the rest."""
        sink = io.BytesIO()
        self._request(url, sink, max_bytes, NULL_PROGRESS, "")
        return sink.getvalue()

    def download(
        self,
        url: str,
        sink: IO[bytes],
        max_bytes: int,
        progress: Progress = NULL_PROGRESS,
        description: str = "downloading",
    ) -> int:
        """Stream a (large) body into `sink`, refusing more than `max_bytes`; returns its size."""
        self._request(url, sink, max_bytes, progress, description)
        return sink.tell()

    def _request(
        self,
        url: str,
        sink: IO[bytes],
        max_bytes: int,
        progress: Progress,
        description: str,
    ) -> None:
        shown = redact(url)
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                with self._client.stream("GET", url) as response:
                    if response.status_code in (404, 410):
                        raise NotFound(
                            f"{shown}: HTTP {response.status_code}", response.status_code
                        )
                    if response.status_code in _RETRY_STATUS and not last:
                        log.info("GET %s: HTTP %s, retrying", shown, response.status_code)
                        response.read()
                        self._wait(attempt, response)
                        continue
                    if response.status_code != 200:
                        raise HttpError(
                            f"{shown}: HTTP {response.status_code}"
                            + (f" after {attempt + 1} attempts" if attempt else ""),
                            response.status_code,
                        )
                    self._stream(response, sink, max_bytes, progress, description, shown)
                    return
            except httpx.TransportError as exc:
                if last:
                    raise HttpError(
                        f"{shown}: {type(exc).__name__}: {exc} (after {attempt + 1} attempts)"
                    ) from None
                log.info("GET %s: %s, retrying", shown, exc)
                self._wait(attempt, None)
        raise AssertionError("unreachable")  # pragma: no cover

    def _stream(
        self,
        response: httpx.Response,
        sink: IO[bytes],
        max_bytes: int,
        progress: Progress,
        description: str,
        shown: str,
    ) -> None:
        sink.seek(0)
        sink.truncate()
        declared = response.headers.get("Content-Length")
        total = int(declared) if declared and declared.isdigit() else None
        if total is not None and total > max_bytes:
            raise TooLarge(f"{shown}: {total:,} bytes, over the {max_bytes:,}-byte limit")
        task = progress.task(description, total, unit="bytes")
        size = 0
        for chunk in response.iter_bytes(1024 * 1024):
            size += len(chunk)
            if size > max_bytes:
                raise TooLarge(f"{shown}: more than {max_bytes:,} bytes; refused")
            sink.write(chunk)
            task.advance(len(chunk))
        task.finish()
