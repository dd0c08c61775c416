"""The osv analyzer's remote mode (PATTON_URI) against real HTTP servers: a live DeepTracy
/v1 API holding records written for the test, and a small server that behaves like api.osv.dev
where DeepTracy does not (pagination, refusals, transient errors)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from deeptracy.analyzers.interface import AnalyzerContext
from deeptracy.analyzers.model import Finding
from deeptracy.analyzers.osv import OsvAnalyzer
from deeptracy.analyzers.osv_remote import RemoteOsv, RemoteOsvError, normalize_base_url
from deeptracy.api import create_app
from deeptracy.config import Settings
from deeptracy.inventory.model import Inventory, Location, Package
from deeptracy.severity import Severity
from deeptracy.store.db import Database
from tests.support.git_server import closed_port
from tests.support.live_server import live_server
from tests.support.osv_records import affected, osv, rng
from tests.support.scans import RECORDS, import_records

INVENTORY = Inventory(
    (
        Package("PyPI", "Flask", "0.12.2", locations=(Location("requirements.txt", 1),)),
        Package("PyPI", "flask", "0.12.2", locations=(Location("docs/requirements.txt", 1),)),
        Package("PyPI", "requests", "2.20.0", locations=(Location("requirements.txt", 2),)),
        Package("PyPI", "requests", "2.31.0", locations=(Location("requirements.txt", 3),)),
        Package("PyPI", "django", "4.2", locations=(Location("requirements.txt", 4),)),
        Package("npm", "lodash", declared="^4.17.0", locations=(Location("package.json", 5),)),
        Package("npm", "lodash", declared=">=4.17.19", locations=(Location("b/package.json"),)),
        Package("PyPI", "broken", "not a version!", locations=(Location("requirements.txt", 6),)),
    )
)


def key(finding: Finding) -> tuple[object, ...]:
    return (
        finding.package,
        finding.advisory_id,
        finding.aliases,
        finding.severity,
        finding.score,
        finding.fixed,
        finding.matched_range,
        finding.exact,
        finding.admits_unaffected,
        finding.analyzers,
    )


@pytest.fixture
def deeptracy_v1(
    database: Database, settings: Settings, tmp_path: Path
) -> Iterator[tuple[str, Counter[str]]]:
    """A live `deeptracy serve` /v1 API over the test's records; counts requests per route."""
    import_records(database, tmp_path / "osv", RECORDS)
    app = create_app(settings, database=database)
    app.state.matchers.check_interval = 0
    counts: Counter[str] = Counter()

    @app.middleware("http")
    async def count(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        counts[request.url.path.split("/")[2]] += 1
        return await call_next(request)

    with live_server(app) as url:
        yield url, counts


def test_remote_findings_equal_local_findings(
    deeptracy_v1: tuple[str, Counter[str]], database: Database, settings: Settings
) -> None:
    url, counts = deeptracy_v1
    local = OsvAnalyzer(AnalyzerContext(settings, database)).analyze(INVENTORY)
    remote_analyzer = OsvAnalyzer(
        AnalyzerContext(settings.model_copy(update={"patton_uri": url + "/"}))
    )
    assert remote_analyzer.remote
    assert remote_analyzer.description == f"OSV advisories from the OSV API at {url}"
    remote = remote_analyzer.analyze(INVENTORY)
    assert sorted(map(key, remote.findings), key=repr) == sorted(map(key, local.findings), key=repr)
    assert {f.advisory_id for f in remote.findings} == {
        "PYSEC-2019-179",
        "GHSA-5wv5-4vpf-pj6m",
        "GHSA-j8r2-6x86-q33q",
        "GHSA-p6mc-m468-83gw",
    }
    # The declared range ">=4.17.19" admits no affected version: decided here, not reported.
    assert [f.package.source for f in remote.findings if f.package.name == "lodash"] == [
        "package.json"
    ]
    # The invalid version is not sent (it would fail the whole batch), and said so.
    assert remote.warnings == ("PyPI broken: 'not a version!' is not a valid PEP 440 version",)
    assert counts["querybatch"] == 1
    assert counts["vulns"] == 4  # each distinct advisory once

    # A second analysis asks again but fetches no record: they are cached by (id, modified).
    again = remote_analyzer.analyze(INVENTORY)
    assert sorted(map(key, again.findings), key=repr) == sorted(map(key, remote.findings), key=repr)
    assert (counts["querybatch"], counts["vulns"]) == (2, 4)
    remote_analyzer.close()


def test_batches_are_split(deeptracy_v1: tuple[str, Counter[str]]) -> None:
    url, counts = deeptracy_v1
    client = RemoteOsv(url, batch_size=2)
    result = client.analyze(INVENTORY)
    # 7 distinct queries (the invalid version is not sent): 4 requests of at most 2.
    assert counts["querybatch"] == 4
    assert len(result.findings) == 6
    client.close()


RECORD_PAGED_1 = osv(
    "PAGED-1",
    affected("PyPI", "paged", rng(("introduced", "0"), ("fixed", "2.0"))),
    database_specific={"severity": "LOW"},
)
RECORD_ELSEWHERE = osv(
    "OTHER-1",
    affected("PyPI", "something-else", rng(("introduced", "0"))),
    database_specific={"severity": "CRITICAL"},
)


def osv_dev_like() -> tuple[FastAPI, Counter[str]]:
    """Pages results, refuses a query with OSV's error shape, fails transiently once, and
    lacks one record."""
    app = FastAPI()
    counts: Counter[str] = Counter()
    records = {r["id"]: r for r in (RECORD_PAGED_1, RECORD_ELSEWHERE)}

    @app.post("/v1/querybatch")
    async def querybatch(request: Request) -> Response:
        counts["querybatch"] += 1
        if counts["querybatch"] == 1:
            return Response(status_code=503, headers={"Retry-After": "0"})
        queries = json.loads(await request.body())["queries"]
        for i, q in enumerate(queries):
            if q["package"]["name"] == "refused":
                return JSONResponse({"code": 3, "message": f"queries[{i}]: Invalid version."}, 400)
        results: list[dict[str, Any]] = []
        for q in queries:
            name = q["package"]["name"]
            if name == "paged" and "page_token" not in q:
                results.append(
                    {
                        "vulns": [{"id": "PAGED-1", "modified": "2024-01-01T00:00:00Z"}],
                        "next_page_token": "page-2",
                    }
                )
            elif name == "paged":
                assert q["page_token"] == "page-2"
                results.append({"vulns": [{"id": "PAGED-2", "modified": "2024-01-01T00:00:00Z"}]})
            elif name == "wrongly-matched":
                # The server says so; the record does not confirm it here: its word is kept.
                results.append({"vulns": [{"id": "OTHER-1", "modified": "2024-01-01T00:00:00Z"}]})
            else:
                results.append({})
        return JSONResponse({"results": results})

    @app.get("/v1/vulns/{advisory_id}")
    async def vuln(advisory_id: str) -> Response:
        counts["vulns"] += 1
        if advisory_id in records:
            return JSONResponse(records[advisory_id])
        return JSONResponse({"code": 5, "message": "Bug not found."}, 404)

    return app, counts


def test_pages_refusals_retries_and_missing_records() -> None:
    app, counts = osv_dev_like()
    paged = Package("PyPI", "paged", "1.0", locations=(Location("requirements.txt", 1),))
    refused = Package("PyPI", "refused", "1.0", locations=(Location("requirements.txt", 2),))
    wrong = Package("PyPI", "wrongly-matched", "3.0", locations=(Location("requirements.txt", 3),))
    fine = Package("PyPI", "fine", "1.0", locations=(Location("requirements.txt", 4),))
    with live_server(app) as url:
        client = RemoteOsv(url, backoff=0.01)
        result = client.analyze(Inventory((paged, refused, wrong, fine)))
        client.close()
    found = {(f.package.name, f.advisory_id): f for f in result.findings}
    assert sorted(found) == [
        ("paged", "PAGED-1"),
        ("paged", "PAGED-2"),
        ("wrongly-matched", "OTHER-1"),
    ]
    confirmed = found[("paged", "PAGED-1")]
    assert (confirmed.matched_range, confirmed.fixed, confirmed.severity) == (
        ">=0, <2.0",
        ("2.0",),
        Severity.LOW,
    )
    unavailable = found[("paged", "PAGED-2")]
    assert (unavailable.severity, unavailable.matched_range) == (
        Severity.UNKNOWN,
        f"reported by the OSV API at {url} (record unavailable)",
    )
    kept = found[("wrongly-matched", "OTHER-1")]
    assert (kept.severity, kept.matched_range, kept.summary) == (
        Severity.CRITICAL,
        f"reported by the OSV API at {url}",
        "summary of OTHER-1",
    )
    assert result.warnings == (
        "PyPI refused 1.0: the OSV server refused the query: Invalid version.",
        f"PAGED-2: {url} answered HTTP 404 for the record",
    )
    # 503 (retried), 400 (one query dropped), the answer, then the second page.
    assert counts["querybatch"] == 4


def test_an_unreachable_or_broken_server_fails_the_analysis() -> None:
    package = Package("PyPI", "flask", "1.0", locations=(Location("requirements.txt", 1),))
    down = RemoteOsv(f"http://127.0.0.1:{closed_port()}", retries=1, backoff=0.01)
    with pytest.raises(RemoteOsvError, match=r"POST http://127\.0\.0\.1:\d+/v1/querybatch: "):
        down.analyze(Inventory((package,)))

    broken = FastAPI()

    @broken.post("/v1/querybatch")
    async def short() -> Response:
        return JSONResponse({"results": []})

    with live_server(broken) as url:
        client = RemoteOsv(url)
        with pytest.raises(RemoteOsvError, match=r"malformed answer \(expected 1 results\)"):
            client.analyze(Inventory((package,)))


def test_patton_uri_is_checked_and_never_shown_with_credentials() -> None:
    assert normalize_base_url(" https://osv.example/ ") == "https://osv.example"
    with pytest.raises(ValueError, match="must be an http"):
        normalize_base_url("ftp://osv.example")
    with pytest.raises(ValueError, match="query or fragment"):
        normalize_base_url("https://osv.example/?x=1")
    client = RemoteOsv("https://user:s3cret@osv.example")
    assert "s3cret" not in client.shown_url
    client.close()
