"""HTTP import and incremental sync against a real bucket-shaped HTTP server on 127.0.0.1."""

from __future__ import annotations

import io
import json
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tests.support.osv_bucket import BucketServer
from tests.support.osv_records import affected, osv, rng, write_bucket, write_dir

from deeptracy.advisories import store
from deeptracy.advisories.http import HttpClient, HttpError, NotFound, TooLarge, retry_after
from deeptracy.advisories.matcher import Matcher, Query
from deeptracy.advisories.sources import SourceError
from deeptracy.advisories.sources.bucket import parse_listing
from deeptracy.advisories.sync import import_location, sync_sources
from deeptracy.store.db import Database


@pytest.fixture
def bucket(tmp_path: Path) -> Iterator[BucketServer]:
    server = BucketServer(tmp_path / "bucket").start()
    yield server
    server.stop()


@pytest.fixture
def client() -> Iterator[HttpClient]:
    with HttpClient(timeout=5, retries=2, backoff=0.01) as c:
        yield c


def pypi(n: int, modified: str = "2024-01-01T00:00:00Z", **fields: Any) -> dict[str, Any]:
    return osv(
        f"PYSEC-{n}",
        affected("PyPI", f"pkg{n}", rng(("introduced", "0"), ("fixed", f"{n}.0"))),
        modified=modified,
        **fields,
    )


def go(n: int) -> dict[str, Any]:
    return osv(
        f"GO-{n}", affected("Go", f"example.com/m{n}", rng(("introduced", "0"), type="SEMVER"))
    )


def publish(
    server: BucketServer, pypi_records: list[dict[str, Any]], go_records: list[dict[str, Any]]
) -> None:
    write_bucket(server.root, "PyPI", pypi_records)
    write_bucket(server.root, "Go", go_records)
    rows = sorted(
        [(r["modified"], f"PyPI/{r['id']}") for r in pypi_records]
        + [(r["modified"], f"Go/{r['id']}") for r in go_records],
        reverse=True,
    )
    (server.root / "modified_id.csv").write_text("".join(f"{m},{i}\n" for m, i in rows))


# ---- the HTTP client ---------------------------------------------------------------------------


def test_retry_after_in_seconds_or_as_a_date() -> None:
    now = datetime(2024, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after("7") == 7.0
    assert retry_after("Mon, 01 Jan 2024 12:00:30 GMT", lambda: now) == 30.0
    assert retry_after("Mon, 01 Jan 2024 11:00:00 GMT", lambda: now) == 0.0
    assert retry_after("soon") is None and retry_after(None) is None


def test_transient_answers_are_retried_honouring_retry_after(
    bucket: BucketServer, client: HttpClient
) -> None:
    (bucket.root / "x").write_bytes(b"payload")
    bucket.fail("/x", 503, times=1, retry_after="0")
    bucket.fail("/x", 429, times=1, retry_after="0")
    assert client.get(f"{bucket.url}/x") == b"payload"
    assert bucket.count("/x") == 3


def test_persistent_failures_and_missing_files(bucket: BucketServer, client: HttpClient) -> None:
    (bucket.root / "y").write_bytes(b"y")
    bucket.fail("/y", 500, times=5)
    with pytest.raises(HttpError, match=r"/y: HTTP 500 after 3 attempts"):
        client.get(f"{bucket.url}/y")
    with pytest.raises(NotFound, match="HTTP 404"):
        client.get(f"{bucket.url}/nothing")
    assert bucket.count("/nothing") == 1  # a 404 is an answer: not retried
    bucket.fail("/y", 403)
    with pytest.raises(HttpError, match="HTTP 403"):
        client.get(f"{bucket.url}/y")


def test_an_unreachable_server_fails_after_the_retries(client: HttpClient) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nobody listens there
    with pytest.raises(HttpError, match=r"ConnectError.*after 3 attempts"):
        client.get(f"http://127.0.0.1:{port}/x")


def test_downloads_are_capped(bucket: BucketServer, client: HttpClient) -> None:
    (bucket.root / "big").write_bytes(b"x" * 5000)
    with pytest.raises(TooLarge, match="5,000 bytes, over the 1,000-byte limit"):
        client.download(f"{bucket.url}/big", io.BytesIO(), 1000)
    sink = io.BytesIO()
    assert client.download(f"{bucket.url}/big", sink, 10_000) == 5000
    with pytest.raises(TooLarge):
        client.get(f"{bucket.url}/big", max_bytes=4999)
    assert len(client.get(f"{bucket.url}/big", max_bytes=5000)) == 5000


def test_listings_report_bad_lines() -> None:
    listing = parse_listing(
        "2024-01-02T00:00:00Z,A-1\n\nnot-a-date,A-2\nonly-one-field\n1-01-01T00:00:00Z,A-3\n", "csv"
    )
    assert [i for _, i in listing.rows] == ["A-1", "A-3"]
    assert [(p.where, p.advisory_id) for p in listing.problems] == [
        ("csv line 3", "A-2"),
        ("csv line 4", None),
    ]
    assert listing.newest == datetime(2024, 1, 2, tzinfo=UTC)


# ---- import and sync ---------------------------------------------------------------------------


def test_import_from_a_url_reads_every_ecosystem_zip_and_remembers_cursors(
    database: Database, bucket: BucketServer, client: HttpClient
) -> None:
    publish(bucket, [pypi(1), pypi(2)], [go(1)])
    report = import_location(database, bucket.url, client=client)
    assert report.new == ("GO-1", "PYSEC-1", "PYSEC-2")
    assert bucket.count("/PyPI/all.zip") == bucket.count("/Go/all.zip") == 1
    with database.session() as session:
        (source,) = store.list_sources(session)
        assert (source.kind, source.location, source.ecosystems) == ("bucket", bucket.url, None)
        cursors = store.cursors(session, source.id)
    assert sorted(cursors) == ["Go", "PyPI"]
    assert (cursors["PyPI"].mode, cursors["PyPI"].listed) == ("full", 2)
    assert cursors["PyPI"].newest_modified == datetime(2024, 1, 1, tzinfo=UTC)


def test_sync_fetches_only_what_modified_id_csv_says_changed(
    database: Database, bucket: BucketServer, client: HttpClient
) -> None:
    publish(bucket, [pypi(1), pypi(2), pypi(3)], [go(1)])
    import_location(database, bucket.url, client=client)
    bucket.requests.clear()
    later = "2024-03-01T00:00:00Z"
    publish(
        bucket,
        [
            pypi(1),
            pypi(2, modified=later, summary="ranges changed"),
            pypi(3, modified=later, withdrawn="2024-02-28T00:00:00Z"),
            pypi(4, modified=later),
            pypi(5, modified="1-01-01T00:00:00Z"),  # new, yet "older" than the last sync
        ],
        [go(1)],
    )
    outcome = sync_sources(database, client=client)
    (report,) = outcome.reports
    assert outcome.failures == ()
    assert (report.kind, report.new, report.modified, report.withdrawn) == (
        "sync",
        ("PYSEC-4", "PYSEC-5"),
        ("PYSEC-2",),
        ("PYSEC-3",),
    )
    assert report.unchanged == 0 and report.ok
    fetched = sorted(r for r in bucket.requests if r.endswith(".json"))
    assert fetched == [f"/PyPI/PYSEC-{n}.json" for n in (2, 3, 4, 5)]
    assert bucket.count("all.zip") == 0
    assert "PyPI: 4 of 5 listed records fetched (modified since stored)" in report.notes
    assert "Go: 0 of 1 listed records fetched (modified since stored)" in report.notes
    with database.session() as session:
        delta = store.get_delta(session, report.run_id)
    assert delta is not None and delta.packages == tuple(("PyPI", f"pkg{n}") for n in (2, 3, 4, 5))
    (gone,) = Matcher.load(database).match([Query("PyPI", "pkg3", "0.1")])
    assert gone.matches == ()

    again = sync_sources(database, client=client).reports[0]
    assert (again.new, again.modified, again.withdrawn) == ((), (), ())


def test_sync_reports_listed_records_it_cannot_fetch_and_applies_the_rest(
    database: Database, bucket: BucketServer, client: HttpClient
) -> None:
    publish(bucket, [pypi(1)], [])
    import_location(database, bucket.url, client=client, ecosystems=["PyPI"])
    publish(bucket, [pypi(1), pypi(2, modified="2024-05-01T00:00:00Z")], [])
    with (bucket.root / "PyPI" / "modified_id.csv").open("a") as csv:
        csv.write("2024-05-02T00:00:00Z,PYSEC-404\nbroken line\n")
    (report,) = sync_sources(database, client=client).reports
    assert report.new == ("PYSEC-2",)
    assert sorted((s.advisory_id or "", s.message) for s in report.skipped) == [
        ("", "expected '<modified>,<id>': ['broken line']"),
        ("PYSEC-404", "listed in modified_id.csv but not found (HTTP 404)"),
    ]
    assert bucket.count("/Go/all.zip") == 0  # only the ecosystem asked for
    import_location(database, bucket.url, client=client)  # again, now for every ecosystem
    with database.session() as session:
        (source,) = store.list_sources(session)
    assert source.ecosystems is None  # the top-level listing names PyPI only here
    assert bucket.count("/PyPI/all.zip") == 2 and bucket.requests.count("/modified_id.csv") == 1


def test_many_changes_or_full_read_all_zip_again(
    database: Database, bucket: BucketServer, client: HttpClient
) -> None:
    publish(bucket, [pypi(1)], [go(1)])
    import_location(database, bucket.url, client=client)
    publish(bucket, [pypi(1), pypi(2, modified="2024-05-01T00:00:00Z")], [go(1)])
    bucket.requests.clear()
    (report,) = sync_sources(database, client=client, full_threshold=0).reports
    assert report.new == ("PYSEC-2",)
    assert bucket.count("/PyPI/all.zip") == 1 and bucket.count(".json") == 0
    bucket.requests.clear()
    (report,) = sync_sources(database, client=client, full=True).reports
    assert report.new == () and report.unchanged == 3
    assert bucket.count("all.zip") == 2
    with database.session() as session:
        (source,) = store.list_sources(session)
        assert {c.mode for c in store.cursors(session, source.id).values()} == {"full"}


def test_ecosystems_are_discovered_from_ecosystems_txt(
    database: Database, bucket: BucketServer, client: HttpClient
) -> None:
    publish(bucket, [pypi(1)], [go(1)])
    (bucket.root / "ecosystems.txt").write_text("Go\n")
    report = import_location(database, bucket.url, client=client)
    assert report.new == ("GO-1",)


def test_an_unreadable_bucket_changes_nothing(
    database: Database, bucket: BucketServer, client: HttpClient
) -> None:
    publish(bucket, [pypi(1)], [go(1)])
    bucket.fail("/Go/all.zip", 503, times=3, retry_after="0")
    with pytest.raises(SourceError, match=r"cannot download .*/Go/all.zip: .*HTTP 503"):
        import_location(database, bucket.url, client=client)
    with database.session() as session:
        assert store.list_sources(session) == [] and store.latest_runs(session) == []
    (bucket.root / "modified_id.csv").unlink()
    with pytest.raises(SourceError, match=r"has neither ecosystems\.txt nor modified_id\.csv"):
        import_location(database, bucket.url, client=client)


def test_sync_rereads_directory_sources_and_names_unknown_ones(
    database: Database, tmp_path: Path, client: HttpClient
) -> None:
    root = write_dir(tmp_path / "dir", [pypi(1)])
    import_location(database, str(root), client=client)
    write_dir(root, [pypi(1, modified="2024-09-01T00:00:00Z", summary="new text")])
    (report,) = sync_sources(database, client=client).reports
    assert (report.kind, report.modified) == ("sync", ("PYSEC-1",))
    with pytest.raises(SourceError, match="not a remembered source: /elsewhere"):
        sync_sources(database, client=client, locations=["/elsewhere"])
    json.loads((root / "PYSEC-1.json").read_text())  # the directory itself is untouched


def test_an_all_zip_url_is_a_source_of_its_own(
    database: Database, bucket: BucketServer, client: HttpClient
) -> None:
    publish(bucket, [pypi(1), pypi(2)], [go(1)])
    url = f"{bucket.url}/PyPI/all.zip"
    report = import_location(database, url, client=client)
    assert report.new == ("PYSEC-1", "PYSEC-2")
    assert bucket.count("modified_id.csv") == 0
    publish(bucket, [pypi(1), pypi(2), pypi(3)], [go(1)])
    (again,) = sync_sources(database, client=client).reports
    assert (again.new, again.unchanged) == (("PYSEC-3",), 2)
    with database.session() as session:
        (source,) = store.list_sources(session)
    assert (source.kind, source.location) == ("zip", url)
    bucket.fail("/PyPI/all.zip", 404)
    outcome = sync_sources(database, client=client)
    assert outcome.reports == ()
    assert outcome.failures[0][0] == url and "HTTP 404" in outcome.failures[0][1]
