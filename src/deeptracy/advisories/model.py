"""OSV records (https://ossf.github.io/osv-schema/) read and validated into frozen values.

`parse_record` checks what matching depends on and rejects the record with a precise message
(the field path and what is wrong) when it cannot be trusted: a missing id or modified time,
an affected entry without a package, a range type other than ECOSYSTEM, SEMVER or GIT, an
event that is not exactly one of introduced/fixed/last_affected/limit. Fields the schema leaves
open (database_specific, ecosystem_specific, references...) are kept in the raw record, which
is stored verbatim as canonical JSON and served by /v1/vulns.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import yaml

from deeptracy.advisories.severity import SeverityInfo, assess_severity
from deeptracy.ecosystems import canonical_ecosystem, normalize_name

RANGE_TYPES = frozenset({"ECOSYSTEM", "SEMVER", "GIT"})
EVENT_KINDS = ("introduced", "fixed", "last_affected", "limit")
# An id becomes part of URLs (<ECOSYSTEM>/<ID>.json, /v1/vulns/<ID>): no '/', no spaces.
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:+-]{0,254}$")
# RFC 3339, leniently: some real records write the year 1 as "1" (PYSEC-2024-55), some carry
# nanoseconds (more than Python's 6 fraction digits), a few omit the zone (read as UTC).
_TIMESTAMP = re.compile(
    r"^(?P<y>\d{1,4})-(?P<mo>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:[Tt ](?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:\.(?P<f>\d+))?)?)?"
    r"\s*(?P<z>[Zz]|[+-]\d{2}:?\d{2})?$"
)


class InvalidRecord(ValueError):
    """A record that cannot be imported; `where` is its file or zip entry, `id` when known."""

    def __init__(self, message: str, *, where: str = "", advisory_id: str | None = None):
        super().__init__(message)
        self.message = message
        self.where = where
        self.advisory_id = advisory_id

    def __str__(self) -> str:
        label = self.advisory_id or self.where
        return f"{label}: {self.message}" if label else self.message


@dataclass(frozen=True, slots=True)
class Event:
    kind: str  # introduced | fixed | last_affected | limit
    value: str


@dataclass(frozen=True, slots=True)
class Range:
    type: str  # ECOSYSTEM | SEMVER | GIT
    events: tuple[Event, ...]
    repo: str | None = None

    @property
    def evaluable(self) -> bool:
        """GIT ranges name commits, never package versions."""
        return self.type != "GIT"


@dataclass(frozen=True, slots=True)
class Affected:
    """One `affected[]` entry that names a package."""

    ecosystem: str  # OSV spelling, e.g. "PyPI"
    name: str  # as the record writes it
    key: str  # normalize_name(ecosystem, name)
    versions: tuple[str, ...] = ()
    ranges: tuple[Range, ...] = ()
    purl: str | None = None
    severity: SeverityInfo | None = None  # per-package severity, when the record gives one

    def to_compact(self) -> str:
        """The matching-relevant part as small JSON, stored per package for the index."""
        data: dict[str, Any] = {}
        if self.versions:
            data["v"] = list(self.versions)
        ranges = [
            [r.type, [[e.kind, e.value] for e in r.events]] for r in self.ranges if r.evaluable
        ]
        if ranges:
            data["r"] = ranges
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_compact(cls, ecosystem: str, name: str, key: str, compact: str) -> Affected:
        data = json.loads(compact)
        ranges = tuple(
            Range(rtype, tuple(Event(kind, value) for kind, value in events))
            for rtype, events in data.get("r", ())
        )
        return cls(ecosystem, name, key, tuple(data.get("v", ())), ranges)


@dataclass(frozen=True, slots=True)
class OsvRecord:
    id: str
    modified: datetime
    published: datetime | None
    withdrawn: datetime | None
    aliases: tuple[str, ...]
    summary: str
    details: str
    severity: SeverityInfo  # record level (GHSA database_specific fallback included)
    affected: tuple[Affected, ...]
    # Canonical JSON of the whole record (sorted keys): stored, hashed, served by /v1/vulns.
    raw_json: str = field(repr=False, compare=False)
    warnings: tuple[str, ...] = field(default=(), compare=False)

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.raw_json.encode()).hexdigest()

    @property
    def raw(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.raw_json)
        return loaded

    @property
    def title(self) -> str:
        """The summary, or the first line of the details when there is no summary."""
        if self.summary:
            return self.summary
        first = self.details.strip().splitlines()[0] if self.details.strip() else ""
        return first[:200]

    def packages(self) -> set[tuple[str, str]]:
        return {(a.ecosystem, a.key) for a in self.affected}


# ---- decoding --------------------------------------------------------------------------------


class _OsvYamlLoader(yaml.SafeLoader):
    """SafeLoader that keeps scalars as written: versions like 1.10 must not become floats,
    nor timestamps datetimes. Only null and booleans are resolved."""


_OsvYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag.endswith((":null", ":bool"))]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def decode(payload: bytes, where: str) -> Any:
    """JSON, or YAML for .yaml/.yml names, into plain data; InvalidRecord when unreadable."""
    try:
        text = payload.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidRecord(
            f"not UTF-8 text ({exc.reason} at byte {exc.start})", where=where
        ) from None
    if where.lower().endswith((".yaml", ".yml")):
        try:
            return yaml.load(text, Loader=_OsvYamlLoader)  # noqa: S506 (a SafeLoader subclass)
        except yaml.YAMLError as exc:
            raise InvalidRecord(f"invalid YAML: {_one_line(str(exc))}", where=where) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidRecord(
            f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})", where=where
        ) from None


def _one_line(text: str) -> str:
    return " ".join(text.split())


# ---- validation ------------------------------------------------------------------------------


def parse_timestamp(value: Any, path: str) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"{path}: expected an RFC 3339 timestamp string, got {_kind(value)}")
    match = _TIMESTAMP.match(value.strip())
    if match is None:
        raise ValueError(f"{path}: {value!r} is not an RFC 3339 timestamp")
    zone = match["z"]
    tz: timezone = UTC
    if zone and zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    fraction = (match["f"] or "")[:6].ljust(6, "0")
    try:
        moment = datetime(
            int(match["y"]),
            int(match["mo"]),
            int(match["d"]),
            int(match["h"] or 0),
            int(match["mi"] or 0),
            int(match["s"] or 0),
            int(fraction),
            tzinfo=tz,
        )
    except ValueError as exc:
        raise ValueError(f"{path}: {value!r} is not a valid date: {exc}") from None
    return moment if tz is UTC else moment.astimezone(UTC)


def format_timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC with 'Z', zero-padded years (OSV's own spelling)."""
    text = moment.astimezone(UTC).replace(tzinfo=None).isoformat()
    return f"{text}Z"


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


def _string(value: Any, path: str, *, required: bool = False) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"{path}: expected a string, got {_kind(value)}")
    return value


def _strings(value: Any, path: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ValueError(f"{path}: expected a list of strings, got {_kind(value)}")
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise ValueError(f"{path}[{i}]: expected a string, got {_kind(item)}")
    return tuple(value)


def _object(value: Any, path: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{path}: expected an object, got {_kind(value)}")
    return value


def _list(value: Any, path: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"{path}: expected a list, got {_kind(value)}")
    return value


def _severity_list(value: Any, path: str) -> list[tuple[str, str]]:
    result = []
    for i, item in enumerate(_list(value, path)):
        entry = _object(item, f"{path}[{i}]")
        result.append(
            (
                _string(entry.get("type"), f"{path}[{i}].type", required=True),
                _string(entry.get("score"), f"{path}[{i}].score", required=True),
            )
        )
    return result


def _parse_range(data: Any, path: str) -> Range:
    obj = _object(data, path)
    rtype = obj.get("type")
    if rtype not in RANGE_TYPES:
        raise ValueError(
            f"{path}.type: unknown range type {rtype!r} (expected ECOSYSTEM, SEMVER or GIT)"
        )
    raw_events = _list(obj.get("events"), f"{path}.events")
    if not raw_events:
        raise ValueError(f"{path}.events: a range needs at least one event")
    events = []
    for i, item in enumerate(raw_events):
        epath = f"{path}.events[{i}]"
        event = _object(item, epath)
        if len(event) != 1 or next(iter(event)) not in EVENT_KINDS:
            raise ValueError(
                f"{epath}: an event has exactly one of introduced, fixed, last_affected or "
                f"limit; got {sorted(event) or 'nothing'}"
            )
        ((kind, value),) = event.items()
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{epath}.{kind}: expected a non-empty version string")
        events.append(Event(kind, value.strip()))
    if not any(e.kind == "introduced" for e in events):
        raise ValueError(f"{path}.events: a range needs at least one 'introduced' event")
    repo = obj.get("repo")
    return Range(rtype, tuple(events), repo if isinstance(repo, str) else None)


def _parse_affected(data: Any, path: str, warnings: list[str]) -> Affected | None:
    obj = _object(data, path)
    ranges = tuple(
        _parse_range(r, f"{path}.ranges[{i}]")
        for i, r in enumerate(_list(obj.get("ranges"), f"{path}.ranges"))
    )
    versions = _strings(obj.get("versions"), f"{path}.versions")
    package = obj.get("package")
    if package is None:
        if ranges and all(r.type == "GIT" for r in ranges):
            return None  # a repository-only entry: nothing a package version can match
        raise ValueError(f"{path}.package: missing (required unless every range is GIT)")
    pkg = _object(package, f"{path}.package")
    ecosystem = _string(pkg.get("ecosystem"), f"{path}.package.ecosystem", required=True)
    name = _string(pkg.get("name"), f"{path}.package.name", required=True)
    if not ecosystem.strip() or not name.strip():
        raise ValueError(f"{path}.package: ecosystem and name must not be empty")
    ecosystem = canonical_ecosystem(ecosystem.strip())
    purl = pkg.get("purl")
    severity = None
    if obj.get("severity") is not None:
        severity, notes = assess_severity(
            _severity_list(obj.get("severity"), f"{path}.severity"),
            _object(obj.get("database_specific"), f"{path}.database_specific"),
        )
        warnings.extend(f"{path}.severity: {n}" for n in notes)
    return Affected(
        ecosystem=ecosystem,
        name=name.strip(),
        key=normalize_name(ecosystem, name),
        versions=tuple(v.strip() for v in versions if v.strip()),
        ranges=ranges,
        purl=purl if isinstance(purl, str) else None,
        severity=severity,
    )


def parse_record(data: Any, where: str = "") -> OsvRecord:
    """Validate one decoded OSV document; raises InvalidRecord naming the field at fault."""
    if not isinstance(data, dict):
        raise InvalidRecord(f"an OSV record is a JSON object, got {_kind(data)}", where=where)
    raw_id = data.get("id")
    advisory_id = raw_id.strip() if isinstance(raw_id, str) else None
    try:
        if not advisory_id:
            raise ValueError("id: missing or not a string")
        if not _ID.match(advisory_id):
            raise ValueError(f"id: {advisory_id!r} is not a valid OSV id")
        schema_version = data.get("schema_version")
        if schema_version is not None and not str(schema_version).startswith("1."):
            raise ValueError(f"schema_version: {schema_version!r} is not a 1.x OSV schema")
        if "modified" not in data:
            raise ValueError("modified: missing")
        modified = parse_timestamp(data["modified"], "modified")
        published = (
            parse_timestamp(data["published"], "published") if data.get("published") else None
        )
        withdrawn = (
            parse_timestamp(data["withdrawn"], "withdrawn") if data.get("withdrawn") else None
        )
        aliases = _strings(data.get("aliases"), "aliases")
        summary = _string(data.get("summary"), "summary")
        details = _string(data.get("details"), "details")
        warnings: list[str] = []
        severity, notes = assess_severity(
            _severity_list(data.get("severity"), "severity"),
            _object(data.get("database_specific"), "database_specific"),
        )
        warnings.extend(f"severity: {n}" for n in notes)
        affected = []
        for i, item in enumerate(_list(data.get("affected"), "affected")):
            entry = _parse_affected(item, f"affected[{i}]", warnings)
            if entry is not None:
                affected.append(entry)
        raw_json = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    except ValueError as exc:
        raise InvalidRecord(str(exc), where=where, advisory_id=advisory_id) from None
    except TypeError as exc:  # YAML tags such as !!binary or !!set have no JSON form
        raise InvalidRecord(f"not representable as JSON: {exc}", where=where) from None
    return OsvRecord(
        id=advisory_id,
        modified=modified,
        published=published,
        withdrawn=withdrawn,
        aliases=tuple(dict.fromkeys(a.strip() for a in aliases if a.strip() != advisory_id)),
        summary=summary.strip(),
        details=details,
        severity=severity,
        affected=tuple(affected),
        raw_json=raw_json,
        warnings=tuple(warnings),
    )


def load_record(payload: bytes, where: str) -> OsvRecord:
    """Decode and validate one file or zip entry."""
    return parse_record(decode(payload, where), where)
