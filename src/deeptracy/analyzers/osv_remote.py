"""The `osv` analyzer's remote mode: an OSV-compatible API at PATTON_URI.

PATTON_URI was the original's advisory server; here it names any server that speaks the OSV
API: another DeepTracy (`deeptracy serve`) or https://api.osv.dev. The analysis:

1. POST `{PATTON_URI}/v1/querybatch` with the inventory's distinct queries, at most 1,000 per
   request (OSV's limit). A resolved package is asked with its version; a declared-only one
   without a version (OSV then answers every advisory of the package) and its requirement is
   compared here. Per-result `next_page_token`s are followed.
2. The batch answer holds advisory ids only: each distinct id is fetched once from
   `/v1/vulns/{id}` (a few at a time), validated like an imported record and cached by
   (id, modified) for the life of the process.
3. The fetched records are matched here with the same matcher as the local mode, so findings
   carry the same fixed versions, matched ranges and severities. The server's answer decides
   which advisories apply to a resolved version: one it reports that the record does not
   confirm here is still reported (`matched_range` says the server reported it).

Requests have timeouts and are retried with backoff on transport errors, 429 and 5xx
(Retry-After honoured). A version this side already knows to be invalid is not sent (it would
fail the whole batch on a DeepTracy server); a query the server still refuses with a
`queries[i]: ...` message is dropped with a warning and the rest re-sent. Anything else the
server cannot answer fails the analysis, never quietly empties it.
"""

from __future__ import annotations

import json
import logging
import random
import re
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from deeptracy import __version__
from deeptracy.advisories.http import retry_after
from deeptracy.advisories.matcher import Matcher, Query, QueryResult
from deeptracy.advisories.model import InvalidRecord, OsvRecord, parse_record
from deeptracy.analyzers.model import AnalysisResult, Finding
from deeptracy.analyzers.osv import (
    NAME,
    QueryPlan,
    Warnings,
    findings_from,
    note_unqueryable,
    plan_queries,
)
from deeptracy.config import Settings
from deeptracy.inventory.model import Inventory, Package
from deeptracy.logs import redact
from deeptracy.severity import Severity
from deeptracy.versions import InvalidVersion, scheme_for

log = logging.getLogger(__name__)

MAX_BATCH = 1000
MAX_PAGES = 50
MAX_BODY_BYTES = 64 * 1024 * 1024
RECORD_CACHE_SIZE = 50_000
FETCH_WORKERS = 8
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
_QUERY_INDEX = re.compile(r"^queries\[(\d+)\]:\s*(.*)$", re.DOTALL)


class RemoteOsvError(Exception):
    """The OSV server could not answer; the message names the server (without credentials)."""


@dataclass(frozen=True, slots=True)
class _Sent:
    query: Query
    page_token: str | None = None

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "package": {"ecosystem": self.query.ecosystem, "name": self.query.name}
        }
        if self.query.version is not None:
            body["version"] = self.query.version
        if self.page_token:
            body["page_token"] = self.page_token
        return body


def normalize_base_url(uri: str) -> str:
    """PATTON_URI without a trailing slash; ValueError unless it is an http(s) URL."""
    text = uri.strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"PATTON_URI must be an http(s) URL, not {redact(uri)!r}")
    if parts.query or parts.fragment:
        raise ValueError("PATTON_URI must not have a query or fragment")
    return text


class _RecordCache:
    """Fetched records by id, kept while the server reports the same `modified`."""

    def __init__(self, size: int = RECORD_CACHE_SIZE) -> None:
        self.size = size
        self._items: dict[str, tuple[str, OsvRecord]] = {}
        self._lock = threading.Lock()

    def get(self, advisory_id: str, modified: str) -> OsvRecord | None:
        with self._lock:
            found = self._items.get(advisory_id)
        if found is None or (modified and found[0] != modified):
            return None
        return found[1]

    def put(self, advisory_id: str, modified: str, record: OsvRecord) -> None:
        with self._lock:
            if len(self._items) >= self.size:
                self._items.clear()  # simple and bounded; a full refetch is cheap enough
            self._items[advisory_id] = (modified, record)


class RemoteOsv:
    """A client of one OSV-compatible server, shared by the scans of a process."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 0.5,
        batch_size: int = MAX_BATCH,
    ) -> None:
        self.base_url = normalize_base_url(base_url)
        self.shown_url = redact(self.base_url)
        self.retries = retries
        self.backoff = backoff
        self.batch_size = max(1, min(batch_size, MAX_BATCH))
        self.cache = _RecordCache()
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            headers={"User-Agent": f"deeptracy/{__version__}"},
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> RemoteOsv:
        if not settings.patton_uri:
            raise ValueError("PATTON_URI is not set")
        return cls(
            settings.patton_uri, timeout=settings.http_timeout, retries=settings.http_retries
        )

    def close(self) -> None:
        self._client.close()

    # ---- HTTP ---------------------------------------------------------------------------------

    def _request(self, method: str, path: str, body: object | None = None) -> tuple[int, Any]:
        """(status, decoded JSON or None) of a final answer; retries what is worth retrying."""
        url = self.base_url + path
        shown = f"{method} {self.shown_url}{path}"
        content = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if content is not None else {}
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                with self._client.stream(method, url, content=content, headers=headers) as response:
                    status = response.status_code
                    if status in _RETRY_STATUS and not last:
                        log.info("%s: HTTP %s, retrying", shown, status)
                        self._wait(attempt, response.headers.get("Retry-After"))
                        continue
                    data = self._read(response, shown)
            except httpx.TransportError as exc:
                if last:
                    raise RemoteOsvError(
                        f"{shown}: {type(exc).__name__}: {redact(str(exc))} "
                        f"(after {attempt + 1} attempts)"
                    ) from None
                log.info("%s: %s, retrying", shown, type(exc).__name__)
                self._wait(attempt, None)
                continue
            try:
                return status, json.loads(data) if data else None
            except (json.JSONDecodeError, UnicodeDecodeError):
                if status == 200:
                    raise RemoteOsvError(f"{shown}: the answer is not JSON") from None
                return status, None
        raise AssertionError("unreachable")  # pragma: no cover

    def _read(self, response: httpx.Response, shown: str) -> bytes:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            raise RemoteOsvError(f"{shown}: answer over {MAX_BODY_BYTES:,} bytes; refused")
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise RemoteOsvError(f"{shown}: answer over {MAX_BODY_BYTES:,} bytes; refused")
            chunks.append(chunk)
        return b"".join(chunks)

    def _wait(self, attempt: int, hint: str | None) -> None:
        delay = self.backoff * (2**attempt) * (1 + random.random() / 4)
        hinted = retry_after(hint)
        time.sleep(min(hinted if hinted is not None else delay, 60.0))

    # ---- querybatch ---------------------------------------------------------------------------

    def _batch(self, sent: list[_Sent], warnings: Warnings) -> list[tuple[_Sent, Any]]:
        """(query, result object) for each query the server answered."""
        pending = list(sent)
        while pending:
            status, body = self._request(
                "POST", "/v1/querybatch", {"queries": [s.payload() for s in pending]}
            )
            if status == 200:
                return list(zip(pending, self._results(body, len(pending)), strict=True))
            message = _error_message(body)
            refused = _QUERY_INDEX.match(message) if status == 400 else None
            if refused is None or int(refused[1]) >= len(pending):
                raise RemoteOsvError(
                    f"POST {self.shown_url}/v1/querybatch: HTTP {status}"
                    + (f": {message}" if message else "")
                )
            dropped = pending.pop(int(refused[1]))
            warnings.add(
                f"{dropped.query.ecosystem} {dropped.query.name} "
                f"{dropped.query.version or ''}: the OSV server refused the query: "
                f"{refused[2].strip()[:300]}"
            )
        return []

    def _results(self, body: Any, expected: int) -> list[dict[str, Any]]:
        results = body.get("results") if isinstance(body, dict) else None
        if not isinstance(results, list) or len(results) != expected:
            raise RemoteOsvError(
                f"POST {self.shown_url}/v1/querybatch: malformed answer "
                f"(expected {expected} results)"
            )
        for item in results:
            vulns = item.get("vulns", []) if isinstance(item, dict) else None
            if not isinstance(vulns, list) or not all(
                isinstance(v, dict) and isinstance(v.get("id"), str) and v["id"] for v in vulns
            ):
                raise RemoteOsvError(
                    f"POST {self.shown_url}/v1/querybatch: malformed result {str(item)[:200]}"
                )
        return results

    def query_ids(
        self, queries: Sequence[Query], warnings: Warnings
    ) -> dict[Query, dict[str, str]]:
        """advisory id -> modified (as the server wrote it) for every query."""
        answers: dict[Query, dict[str, str]] = {q: {} for q in queries}
        todo = [_Sent(q) for q in queries]
        pages = 0
        while todo:
            pages += 1
            if pages > MAX_PAGES * max(1, -(-len(queries) // self.batch_size)):
                raise RemoteOsvError(f"{self.shown_url}: too many result pages; stopped")
            follow: list[_Sent] = []
            for start in range(0, len(todo), self.batch_size):
                for sent, result in self._batch(todo[start : start + self.batch_size], warnings):
                    for vuln in result.get("vulns", []):
                        modified = vuln.get("modified")
                        answers[sent.query][vuln["id"]] = (
                            modified if isinstance(modified, str) else ""
                        )
                    token = result.get("next_page_token")
                    if isinstance(token, str) and token:
                        follow.append(_Sent(sent.query, token))
            todo = follow
        return answers

    # ---- records ------------------------------------------------------------------------------

    def _fetch(self, advisory_id: str) -> OsvRecord | str:
        """The record, or a warning saying why it could not be had."""
        status, body = self._request("GET", f"/v1/vulns/{quote(advisory_id, safe='')}")
        if status != 200:
            return f"{advisory_id}: {self.shown_url} answered HTTP {status} for the record"
        try:
            return parse_record(body, where=f"{self.shown_url}/v1/vulns/{advisory_id}")
        except InvalidRecord as exc:
            return f"{advisory_id}: the server's record is invalid: {exc.message}"

    def records(self, wanted: Mapping[str, str], warnings: Warnings) -> dict[str, OsvRecord]:
        found: dict[str, OsvRecord] = {}
        missing: list[str] = []
        for advisory_id, modified in wanted.items():
            cached = self.cache.get(advisory_id, modified)
            if cached is not None:
                found[advisory_id] = cached
            else:
                missing.append(advisory_id)
        if missing:
            with ThreadPoolExecutor(max_workers=min(FETCH_WORKERS, len(missing))) as pool:
                for advisory_id, got in zip(missing, pool.map(self._fetch, missing), strict=True):
                    if isinstance(got, str):
                        warnings.add(got)
                        continue
                    self.cache.put(advisory_id, wanted[advisory_id], got)
                    found[advisory_id] = got
        return {i: r for i, r in found.items() if r.withdrawn is None}

    # ---- analysis -----------------------------------------------------------------------------

    def analyze(self, inventory: Inventory) -> AnalysisResult:
        plan = plan_queries(inventory.packages)
        warnings = Warnings()
        note_unqueryable(plan, warnings)
        sendable = [q for q in plan.queries if _version_ok(q, warnings)]
        ids = self.query_ids(sendable, warnings)
        wanted: dict[str, str] = {}
        for answer in ids.values():
            wanted.update(answer)
        records = self.records(wanted, warnings)
        matcher = Matcher.from_records(records.values())
        findings: list[Finding] = []
        for query in sendable:
            reported = ids.get(query, {})
            if not reported:
                continue
            local = matcher.match_one(query)
            kept = [
                QueryResult(
                    query,
                    tuple(m for m in local.matches if m.advisory_id in reported),
                    local.error,
                    tuple(u for u in local.undecided if u in reported),
                )
            ]
            single = QueryPlan((query,), {query: plan.packages[query]}, ())
            confirmed = findings_from(matcher, single, kept, warnings)
            findings.extend(confirmed)
            if query.version is None:
                continue  # a declared requirement is decided here, from the records
            seen = {f.advisory_id for f in confirmed}
            for advisory_id in sorted(set(reported) - seen):
                for package in plan.packages[query]:
                    findings.append(
                        _reported_finding(package, advisory_id, records.get(advisory_id), self)
                    )
        return AnalysisResult(tuple(findings), warnings.result())


def _version_ok(query: Query, warnings: Warnings) -> bool:
    if query.version is None:
        return True
    scheme = scheme_for(query.ecosystem)
    if scheme is None:
        return True  # the server may know an ordering this side does not
    try:
        scheme.parse(query.version)
    except InvalidVersion as exc:
        warnings.add(f"{query.ecosystem} {query.name}: {exc}")
        return False
    return True


def _reported_finding(
    package: Package, advisory_id: str, record: OsvRecord | None, remote: RemoteOsv
) -> Finding:
    """A finding the server reported for a resolved version that its record does not confirm
    here (or whose record could not be fetched): the server's word is kept."""
    note = f"reported by the OSV API at {remote.shown_url}"
    if record is None:
        return Finding(
            package=package,
            advisory_id=advisory_id,
            summary="",
            severity=Severity.UNKNOWN,
            matched_range=note + " (record unavailable)",
            analyzers=(NAME,),
        )
    return Finding(
        package=package,
        advisory_id=record.id,
        aliases=record.aliases,
        summary=record.title,
        severity=record.severity.severity,
        score=record.severity.score,
        vector=record.severity.vector,
        matched_range=note,
        analyzers=(NAME,),
    )


def _error_message(body: Any) -> str:
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])
    return ""
