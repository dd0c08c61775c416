import json
from datetime import UTC, datetime

import pytest
from tests.support.osv_records import affected, osv, rng

from deeptracy.advisories.model import (
    Affected,
    InvalidRecord,
    format_timestamp,
    load_record,
    parse_record,
    parse_timestamp,
)
from deeptracy.severity import Severity


def test_a_record_becomes_frozen_values_with_normalized_package_keys() -> None:
    data = osv(
        "GHSA-aaaa-bbbb-cccc",
        affected("PyPI", "Django_Rest.Framework", rng(("introduced", "0"), ("fixed", "3.2"))),
        affected("crates.io", "Tokio_Util", rng(("introduced", "0"), type="SEMVER")),
        aliases=["CVE-2024-1", "GHSA-aaaa-bbbb-cccc", "CVE-2024-1"],
        published="2023-05-01T10:00:00Z",
        severity=[{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
    )
    record = parse_record(data, "x.json")
    assert record.id == "GHSA-aaaa-bbbb-cccc"
    assert record.aliases == ("CVE-2024-1",)  # deduplicated, without the record's own id
    assert record.modified == datetime(2024, 1, 1, tzinfo=UTC)
    assert [(a.ecosystem, a.name, a.key) for a in record.affected] == [
        ("PyPI", "Django_Rest.Framework", "django-rest-framework"),
        ("crates.io", "Tokio_Util", "tokio-util"),
    ]
    assert record.severity.severity is Severity.CRITICAL and record.severity.score == 9.8
    assert record.raw == data  # kept verbatim for /v1/vulns
    assert len(record.content_hash) == 64
    with pytest.raises(AttributeError):
        record.id = "other"  # type: ignore[misc]


def test_compact_form_keeps_only_what_matching_needs() -> None:
    entry = parse_record(
        osv(
            "PYSEC-1",
            affected(
                "PyPI",
                "a",
                rng(("introduced", "1.0"), ("fixed", "2.0")),
                rng(("introduced", "abc"), type="GIT", repo="https://x"),
                versions=["1.0", "1.1"],
            ),
        )
    ).affected[0]
    back = Affected.from_compact("PyPI", "a", "a", entry.to_compact())
    assert back.versions == ("1.0", "1.1")
    assert [(r.type, [(e.kind, e.value) for e in r.events]) for r in back.ranges] == [
        ("ECOSYSTEM", [("introduced", "1.0"), ("fixed", "2.0")])
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("id"), "id: missing or not a string"),
        (lambda d: d.update(id="BAD/ID"), "id: 'BAD/ID' is not a valid OSV id"),
        (lambda d: d.pop("modified"), "modified: missing"),
        (lambda d: d.update(modified="yesterday"), "modified: 'yesterday' is not an RFC 3339"),
        (lambda d: d.update(modified="2024-02-30T00:00:00Z"), "is not a valid date"),
        (lambda d: d.update(schema_version="2.0.0"), "not a 1.x OSV schema"),
        (lambda d: d.update(aliases="CVE-1"), "aliases: expected a list of strings"),
        (lambda d: d.update(summary=3), "summary: expected a string, got int"),
        (lambda d: d.update(affected={}), "affected: expected a list, got an object"),
        (
            lambda d: d["affected"][0]["ranges"][0].update(type="RANGE"),
            "affected[0].ranges[0].type: unknown range type 'RANGE'",
        ),
        (
            lambda d: d["affected"][0]["ranges"][0]["events"].append(
                {"introduced": "1", "fixed": "2"}
            ),
            "affected[0].ranges[0].events[2]: an event has exactly one of",
        ),
        (
            lambda d: d["affected"][0]["ranges"][0]["events"].append({"patched": "2"}),
            "events[2]: an event has exactly one of",
        ),
        (
            lambda d: d["affected"][0]["ranges"][0].update(events=[{"fixed": "1.0"}]),
            "needs at least one 'introduced' event",
        ),
        (
            lambda d: d["affected"][0]["ranges"][0].update(events=[]),
            "needs at least one event",
        ),
        (
            lambda d: d["affected"][0]["ranges"][0]["events"].append({"fixed": 2}),
            "events[2].fixed: expected a non-empty version string",
        ),
        (lambda d: d["affected"][0].pop("package"), "affected[0].package: missing"),
        (
            lambda d: d["affected"][0]["package"].pop("ecosystem"),
            "affected[0].package.ecosystem: expected a string, got null",
        ),
        (
            lambda d: d["affected"][0].update(versions=[1.0]),
            "affected[0].versions[0]: expected a string, got float",
        ),
        (
            lambda d: d.update(severity=[{"type": "CVSS_V3"}]),
            "severity[0].score: expected a string, got null",
        ),
    ],
)
def test_schema_violations_name_the_field(change: object, message: str) -> None:
    data = osv("PYSEC-2024-1", affected("PyPI", "a", rng(("introduced", "0"), ("fixed", "1"))))
    change(data)  # type: ignore[operator]
    with pytest.raises(InvalidRecord) as info:
        parse_record(data, "dir/PYSEC-2024-1.json")
    assert message in str(info.value)
    assert info.value.where == "dir/PYSEC-2024-1.json"


def test_the_error_carries_the_id_when_known() -> None:
    data = osv("GO-2024-1", affected("Go", "m", rng(("introduced", "0"), type="SEMVERISH")))
    with pytest.raises(InvalidRecord) as info:
        parse_record(data, "GO-2024-1.json")
    assert info.value.advisory_id == "GO-2024-1"
    assert str(info.value).startswith("GO-2024-1: affected[0].ranges[0].type")


def test_git_only_entries_without_a_package_are_kept_out_of_the_index() -> None:
    data = osv("OSV-2020-1", {"ranges": [rng(("introduced", "abc"), type="GIT", repo="r")]})
    assert parse_record(data).affected == ()


def test_undecodable_payloads() -> None:
    with pytest.raises(InvalidRecord, match=r"invalid JSON: Expecting value \(line 1, column 1\)"):
        load_record(b"not json", "a.json")
    with pytest.raises(InvalidRecord, match="not UTF-8 text"):
        load_record(b"\xff\xfe\x00", "a.json")
    with pytest.raises(InvalidRecord, match="invalid YAML"):
        load_record(b"id: [unclosed", "a.yaml")
    with pytest.raises(InvalidRecord, match="an OSV record is a JSON object, got a list"):
        load_record(b"[]", "a.json")
    with pytest.raises(InvalidRecord, match="not representable as JSON"):
        load_record(b"id: X-1\nmodified: '2024-01-01T00:00:00Z'\nblob: !!binary aGk=\n", "a.yml")


def test_yaml_scalars_stay_as_written() -> None:
    text = b"""
id: PYSEC-2024-9
modified: 2024-01-02T03:04:05Z
affected:
  - package: {ecosystem: PyPI, name: demo}
    versions: [1.10, 2.0]
    ranges:
      - type: ECOSYSTEM
        events: [{introduced: 0}, {fixed: 1.20}]
"""
    record = load_record(text, "PYSEC-2024-9.yaml")
    assert record.modified == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert record.affected[0].versions == ("1.10", "2.0")  # not the floats 1.1 and 2.0
    assert [e.value for e in record.affected[0].ranges[0].events] == ["0", "1.20"]
    assert json.loads(record.raw_json)["modified"] == "2024-01-02T03:04:05Z"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-10-10T17:22:00Z", datetime(2024, 10, 10, 17, 22, tzinfo=UTC)),
        ("1-01-01T00:00:00Z", datetime(1, 1, 1, tzinfo=UTC)),  # as PYSEC-2024-55 writes it
        ("0001-01-01T00:00:00Z", datetime(1, 1, 1, tzinfo=UTC)),  # every Go record
        ("2023-12-23T12:50:32.999397123Z", datetime(2023, 12, 23, 12, 50, 32, 999397, UTC)),
        ("2024-01-01T02:00:00+02:00", datetime(2024, 1, 1, tzinfo=UTC)),
        ("2024-01-01T00:00:00", datetime(2024, 1, 1, tzinfo=UTC)),
        ("2024-01-01", datetime(2024, 1, 1, tzinfo=UTC)),
    ],
)
def test_timestamps_are_read_leniently_but_exactly(text: str, expected: datetime) -> None:
    assert parse_timestamp(text, "modified") == expected


def test_timestamps_are_written_as_osv_does() -> None:
    assert format_timestamp(datetime(1, 1, 1, tzinfo=UTC)) == "0001-01-01T00:00:00Z"
    assert (
        format_timestamp(datetime(2023, 12, 23, 12, 50, 32, 999397, UTC))
        == "2023-12-23T12:50:32.999397Z"
    )


def test_title_falls_back_to_the_first_line_of_details() -> None:
    data = osv("X-1", details="First line.\nMore.")
    del data["summary"]
    assert parse_record(data).title == "First line."
