"""The OSV.dev-compatible API (https://google.github.io/osv.dev/api/), so OSV clients such as
pip-audit and osv-scanner can use a private DeepTracy:

    POST /v1/query       {"package": {"ecosystem", "name"} | {"purl"}, "version"}
                         -> {"vulns": [full OSV records]} or {} when nothing matches
    POST /v1/querybatch  {"queries": [...]} (at most 1,000)
                         -> {"results": [{"vulns": [{"id", "modified"}]} or {} ...]}
    GET  /v1/vulns/{id}  -> the record (withdrawn ones too), or 404

Errors have OSV's shape, {"code": <gRPC code>, "message": ...}: 400 with code 3 for an invalid
query (including a version the ecosystem cannot read: DeepTracy never answers "not affected"
for a version it could not compare), 404 with code 5 for an unknown id. A query without a
version lists every advisory affecting some version of the package, as OSV does. Commit
queries are refused: GIT ranges are not indexed.

An advisory whose range cannot be evaluated (an unreadable bound, no listed versions) cannot
be ruled out, and OSV clients read no warnings: it is answered as a match, and the response
carries an `X-DeepTracy-Warning` header saying why.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from deeptracy.advisories import store
from deeptracy.advisories.matcher import Query, QueryResult
from deeptracy.advisories.model import format_timestamp
from deeptracy.api.deps import DatabaseDep, MatchersDep
from deeptracy.ecosystems import PurlError, parse_purl

MAX_BATCH = 1000
MAX_BODY_BYTES = 32 * 1024 * 1024
INVALID_ARGUMENT, NOT_FOUND = 3, 5

router = APIRouter(prefix="/v1", tags=["OSV"])

_PACKAGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "ecosystem": {"type": "string", "example": "PyPI"},
        "name": {"type": "string", "example": "django"},
        "purl": {"type": "string", "example": "pkg:pypi/django@3.2.0"},
    },
}
_QUERY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "package": _PACKAGE_SCHEMA,
        "version": {"type": "string", "example": "3.2.0"},
        "page_token": {"type": "string"},
    },
}


class OsvError(Exception):
    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def response(self) -> JSONResponse:
        return JSONResponse({"code": self.code, "message": self.message}, self.status)


def _invalid(message: str) -> OsvError:
    return OsvError(400, INVALID_ARGUMENT, message)


async def _json_body(request: Request) -> Any:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _invalid(f"Request body over {MAX_BODY_BYTES:,} bytes.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():  # bounded even when no Content-Length is sent
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _invalid(f"Request body over {MAX_BODY_BYTES:,} bytes.")
        chunks.append(chunk)
    body = b"".join(chunks)
    try:
        return json.loads(body or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _invalid(f"Invalid JSON payload: {exc}") from None


def _text(obj: dict[str, Any], field: str, where: str) -> str | None:
    value = obj.get(field)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _invalid(f"{where}{field}: expected a string.")
    return value


def parse_query(data: Any, where: str = "") -> Query:
    """An OSV query object as a matcher Query; OsvError (400) when it is not a valid one."""
    if not isinstance(data, dict):
        raise _invalid(f"{where}Invalid query.")
    if _text(data, "commit", where):
        raise _invalid(
            f"{where}Commit queries are not supported by this server "
            "(GIT ranges are not indexed); query by package and version."
        )
    version = _text(data, "version", where)
    package = data.get("package") or {}
    if not isinstance(package, dict):
        raise _invalid(f"{where}package: expected an object.")
    name = _text(package, "name", f"{where}package.")
    ecosystem = _text(package, "ecosystem", f"{where}package.")
    purl = _text(package, "purl", f"{where}package.")
    if purl:
        if name or ecosystem:
            raise _invalid(f"{where}name/ecosystem specified in PURL query.")
        try:
            parts = parse_purl(purl)
        except PurlError as exc:
            raise _invalid(f"{where}Invalid Package URL: {exc}") from None
        if parts.version and version:
            raise _invalid(f"{where}version specified in params and PURL query.")
        return Query(parts.ecosystem, parts.name, parts.version or version)
    if name and ecosystem:
        return Query(ecosystem, name, version)
    raise _invalid(f"{where}Invalid query.")


def _checked(result: QueryResult, where: str = "") -> QueryResult:
    if result.error and not result.undecided:
        raise _invalid(f"{where}{result.error}")
    return result


def _warnings(results: list[QueryResult]) -> dict[str, str]:
    notes = [r.error for r in results if r.error]
    if not notes:
        return {}
    text = " | ".join(notes)
    return {"X-DeepTracy-Warning": text.encode("ascii", "replace").decode()[:2000]}


@router.post(
    "/query",
    summary="Vulnerabilities of one package version (OSV-compatible)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _QUERY_SCHEMA}},
        }
    },
)
async def query(request: Request, matchers: MatchersDep, db: DatabaseDep) -> Response:
    try:
        q = parse_query(await _json_body(request))
    except OsvError as exc:
        return exc.response()

    def answer() -> Response:
        result = _checked(matchers.get().match_one(q))
        ids = sorted({*(m.advisory_id for m in result.matches), *result.undecided})
        if not ids:
            return JSONResponse({}, headers=_warnings([result]))
        with db.session() as session:
            records = store.get_records(session, ids)
        vulns = [records[i] for i in ids if i in records]
        return JSONResponse({"vulns": vulns}, headers=_warnings([result]))

    try:
        return await run_in_threadpool(answer)
    except OsvError as exc:
        return exc.response()


@router.post(
    "/querybatch",
    summary="Vulnerability ids of many package versions (OSV-compatible)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "queries": {
                                "type": "array",
                                "items": _QUERY_SCHEMA,
                                "maxItems": MAX_BATCH,
                            }
                        },
                    }
                }
            },
        }
    },
)
async def querybatch(request: Request, matchers: MatchersDep) -> Response:
    try:
        body = await _json_body(request)
        raw = body.get("queries") if isinstance(body, dict) else None
        if raw is None:
            raw = []
        if not isinstance(raw, list):
            raise _invalid("queries: expected a list.")
        if len(raw) > MAX_BATCH:
            raise _invalid("Too many queries.")
        queries = [parse_query(item, f"queries[{i}]: ") for i, item in enumerate(raw)]
    except OsvError as exc:
        return exc.response()

    def answer() -> Response:
        matcher = matchers.get()
        results = matcher.match(queries)
        out = []
        for i, result in enumerate(results):
            _checked(result, f"queries[{i}]: ")
            vulns = {m.advisory_id: m.modified for m in result.matches}
            for advisory_id in result.undecided:
                meta = matcher.index.advisory(advisory_id)
                if meta is not None:
                    vulns[advisory_id] = meta.modified
            if vulns:
                out.append(
                    {
                        "vulns": [
                            {"id": i, "modified": format_timestamp(vulns[i])} for i in sorted(vulns)
                        ]
                    }
                )
            else:
                out.append({})
        return JSONResponse({"results": out}, headers=_warnings(results))

    try:
        return await run_in_threadpool(answer)
    except OsvError as exc:
        return exc.response()


@router.get("/vulns/{advisory_id}", summary="One OSV record by id (OSV-compatible)")
def get_vuln(advisory_id: str, db: DatabaseDep) -> Response:
    with db.session() as session:
        record = store.get_record(session, advisory_id)
    if record is None:
        return OsvError(404, NOT_FOUND, "Bug not found.").response()
    return JSONResponse(record)
