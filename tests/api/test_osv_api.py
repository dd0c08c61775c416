"""The OSV-compatible /v1 API on a real uvicorn server, over SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.support.live_server import live_server
from tests.support.osv_records import affected, osv, rng, write_dir

from deeptracy.advisories.http import HttpClient
from deeptracy.advisories.sync import import_location
from deeptracy.api import create_app
from deeptracy.config import Settings
from deeptracy.store.db import Database

FLASK = osv(
    "PYSEC-2019-179",
    affected("PyPI", "flask", rng(("introduced", "0"), ("fixed", "1.0"))),
    aliases=["CVE-2019-1010083"],
    modified="2024-01-02T03:04:05.123456Z",
)
FLASK_2 = osv(
    "GHSA-flask", affected("PyPI", "Flask", rng(("introduced", "0.10"), ("fixed", "0.12.3")))
)
GONE = osv(
    "PYSEC-GONE",
    affected("PyPI", "flask", rng(("introduced", "0"))),
    withdrawn="2024-01-01T00:00:00Z",
)
GO = osv(
    "GO-2024-1",
    affected(
        "Go",
        "github.com/gin-gonic/gin",
        rng(("introduced", "0"), ("fixed", "1.9.1"), type="SEMVER"),
    ),
)


def load(db: Database, root: Path, records: list[dict[str, Any]]) -> None:
    with HttpClient() as client:
        import_location(db, str(write_dir(root, records)), client=client)


@pytest.fixture
def api(database: Database, settings: Settings, tmp_path: Path) -> Iterator[httpx.Client]:
    load(database, tmp_path / "a", [FLASK, FLASK_2, GONE, GO])
    app = create_app(settings, database=database)
    app.state.matchers.check_interval = 0  # see imports at once in these tests
    with live_server(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


def post(client: httpx.Client, path: str, body: object) -> tuple[int, Any]:
    response = client.post(path, json=body)
    return response.status_code, response.json()


def test_query_by_name_and_version_returns_full_records(api: httpx.Client) -> None:
    status, body = post(
        api, "/v1/query", {"package": {"name": "flask", "ecosystem": "PyPI"}, "version": "0.12.2"}
    )
    assert status == 200
    assert body == {"vulns": [FLASK_2, FLASK]}


def test_query_by_purl_and_an_empty_answer(api: httpx.Client) -> None:
    assert post(api, "/v1/query", {"package": {"purl": "pkg:pypi/flask@0.12.3"}}) == (
        200,
        {"vulns": [FLASK]},
    )
    assert post(
        api,
        "/v1/query",
        {"package": {"purl": "pkg:golang/github.com/gin-gonic/gin"}, "version": "v1.9.0"},
    ) == (200, {"vulns": [GO]})
    assert post(api, "/v1/query", {"package": {"purl": "pkg:pypi/flask@1.0"}}) == (200, {})
    assert post(
        api, "/v1/query", {"package": {"name": "unknown", "ecosystem": "PyPI"}, "version": "1"}
    ) == (200, {})


def test_query_without_version_lists_every_live_advisory(api: httpx.Client) -> None:
    status, body = post(api, "/v1/query", {"package": {"name": "flask", "ecosystem": "PyPI"}})
    assert status == 200 and [v["id"] for v in body["vulns"]] == ["GHSA-flask", "PYSEC-2019-179"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"package": {"name": "flask", "ecosystem": "PyPI"}, "version": "not a version"},
            "flask: 'not a version' is not a valid PEP 440 version",
        ),
        ({"package": {"name": "flask"}, "version": "1.0"}, "Invalid query."),
        ([], "Invalid query."),
        (
            {"version": 3, "package": {"name": "a", "ecosystem": "PyPI"}},
            "version: expected a string.",
        ),
        (
            {"package": {"purl": "pkg:pypi/flask@1.0"}, "version": "1.0"},
            "version specified in params and PURL query.",
        ),
        (
            {"package": {"purl": "pkg:pypi/flask", "name": "flask"}},
            "name/ecosystem specified in PURL query.",
        ),
        ({"package": {"purl": "pkg:"}}, "Invalid Package URL: invalid purl 'pkg:'"),
        (
            {"commit": "6879efc2c1596d11a6a6ad296f80063b558d5e0f"},
            "Commit queries are not supported",
        ),
    ],
)
def test_invalid_queries_get_osv_error_bodies(
    api: httpx.Client, body: object, message: str
) -> None:
    status, answer = post(api, "/v1/query", body)
    assert status == 400
    assert answer["code"] == 3 and set(answer) == {"code", "message"}
    assert answer["message"].startswith(message)


def test_oversized_bodies_are_refused_even_without_a_length(api: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(33):
            yield b" " * (1024 * 1024)

    response = api.post("/v1/querybatch", content=chunks())  # chunked: no Content-Length
    assert response.status_code == 400
    assert response.json() == {"code": 3, "message": "Request body over 33,554,432 bytes."}


def test_malformed_json_is_a_400(api: httpx.Client) -> None:
    response = api.post("/v1/query", content=b"{oops", headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["message"].startswith("Invalid JSON payload")


def test_querybatch_answers_ids_and_modified_in_query_order(api: httpx.Client) -> None:
    status, body = post(
        api,
        "/v1/querybatch",
        {
            "queries": [
                {"package": {"purl": "pkg:pypi/flask@0.9"}},
                {"package": {"name": "requests", "ecosystem": "PyPI"}, "version": "2.0"},
                {"package": {"name": "Flask", "ecosystem": "pypi"}, "version": "0.11"},
            ]
        },
    )
    assert status == 200
    assert body == {
        "results": [
            {"vulns": [{"id": "PYSEC-2019-179", "modified": "2024-01-02T03:04:05.123456Z"}]},
            {},
            {
                "vulns": [
                    {"id": "GHSA-flask", "modified": "2024-01-01T00:00:00Z"},
                    {"id": "PYSEC-2019-179", "modified": "2024-01-02T03:04:05.123456Z"},
                ]
            },
        ]
    }
    assert post(api, "/v1/querybatch", {"queries": []}) == (200, {"results": []})


def test_querybatch_limits_and_errors(api: httpx.Client) -> None:
    one = {"package": {"purl": "pkg:pypi/flask@0.9"}}
    assert post(api, "/v1/querybatch", {"queries": [one] * 1001}) == (
        400,
        {"code": 3, "message": "Too many queries."},
    )
    status, body = post(
        api, "/v1/querybatch", {"queries": [one, {"package": {"purl": "pkg:pypi/flask@x!"}}]}
    )
    assert (status, body["code"]) == (400, 3)
    assert body["message"] == "queries[1]: flask: 'x!' is not a valid PEP 440 version"
    assert post(api, "/v1/querybatch", {"queries": {}})[0] == 400


def test_advisories_that_cannot_be_evaluated_are_answered_with_a_warning(
    api: httpx.Client, database: Database, tmp_path: Path
) -> None:
    unreadable = osv(
        "PYSEC-ODD", affected("PyPI", "odd", rng(("introduced", "0"), ("fixed", "2019-09-12x")))
    )
    readable = osv(
        "PYSEC-EVEN", affected("PyPI", "odd", rng(("introduced", "0"), ("fixed", "1.0")))
    )
    load(database, tmp_path / "odd", [unreadable, readable])
    response = api.post("/v1/query", json={"package": {"purl": "pkg:pypi/odd@2.0"}})
    assert response.status_code == 200
    assert response.json() == {"vulns": [unreadable]}  # cannot be ruled out
    assert (
        "PYSEC-ODD: cannot evaluate its ECOSYSTEM range" in response.headers["x-deeptracy-warning"]
    )
    batch = api.post(
        "/v1/querybatch", json={"queries": [{"package": {"purl": "pkg:pypi/odd@0.5"}}]}
    )
    assert [v["id"] for v in batch.json()["results"][0]["vulns"]] == ["PYSEC-EVEN", "PYSEC-ODD"]


def test_vulns_by_id_includes_withdrawn_records(api: httpx.Client) -> None:
    response = api.get("/v1/vulns/PYSEC-GONE")
    assert response.status_code == 200 and response.json() == GONE
    response = api.get("/v1/vulns/NOPE-1")
    assert (response.status_code, response.json()) == (
        404,
        {"code": 5, "message": "Bug not found."},
    )


def test_the_app_sees_new_imports_without_a_restart(
    api: httpx.Client, database: Database, tmp_path: Path
) -> None:
    query = {"package": {"name": "newpkg", "ecosystem": "PyPI"}, "version": "1.0"}
    assert post(api, "/v1/query", query) == (200, {})
    fresh = osv("PYSEC-NEW", affected("PyPI", "newpkg", rng(("introduced", "0"))))
    load(database, tmp_path / "b", [fresh])
    assert post(api, "/v1/query", query) == (200, {"vulns": [fresh]})


def test_openapi_document_lists_the_osv_routes(api: httpx.Client) -> None:
    paths = api.get("/openapi.json").json()["paths"]
    assert {"/v1/query", "/v1/querybatch", "/v1/vulns/{advisory_id}"} <= set(paths)
