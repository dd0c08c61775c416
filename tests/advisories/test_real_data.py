"""Integration on the real OSV exports in ../shared/data (skipped when absent).

The expected sync delta was counted from the two modified_id.csv files: 120 ids are new; 16
listed ids carry a newer `modified`, of which PYSEC-2021-125 is newly withdrawn and 15 are
modified (PYSEC-2022-43059 was already withdrawn and changed again). PYSEC-2024-55 is new but
dated "1-01-01T00:00:00Z", older than anything synced before: a sync that only walked the CSV
down to the previous newest time would miss it. A full read of all.zip also sees
PYSEC-2023-177, whose details changed without a new `modified`, hence 16 modified there.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.osv_bucket import BucketServer

from deeptracy.advisories import store
from deeptracy.advisories.http import HttpClient
from deeptracy.advisories.matcher import Matcher, Query
from deeptracy.advisories.sync import import_location, sync_sources
from deeptracy.store.db import Database

pytestmark = [pytest.mark.shared_data, pytest.mark.slow]


@pytest.fixture
def client() -> Iterator[HttpClient]:
    with HttpClient(timeout=30, retries=2, backoff=0.05) as c:
        yield c


def test_the_three_current_exports_import_completely(
    database: Database, shared_data: Path, client: HttpClient
) -> None:
    for ecosystem in ("PyPI", "Go", "crates.io"):
        zip_path = shared_data / "osv" / "current" / ecosystem / "all.zip"
        report = import_location(database, str(zip_path), client=client)
        assert report.skipped == (), report.skipped[:3]
    with database.session() as session:
        status = store.status(session)
    assert {e.ecosystem: e.records for e in status.ecosystems} == {
        "PyPI": 2661,
        "Go": 4291,
        "crates.io": 1206,
    }
    assert status.records == 8158

    m = Matcher.load(database)
    django, tokio, net, stdlib, ansible, fixed_tokio = m.match(
        [
            Query.from_purl("pkg:pypi/django@3.2.0"),
            Query("crates.io", "tokio", "1.13.0"),
            Query("Go", "golang.org/x/net", "v0.0.0-20220901000000-abcdefabcdef"),
            Query("Go", "stdlib", "1.19.0"),
            Query("PyPI", "ansible", "1.1"),  # only PYSEC-2021-125 listed it: now withdrawn
            Query("crates.io", "tokio", "1.13.1"),
        ]
    )
    pysec = next(x for x in django.matches if x.advisory_id == "PYSEC-2021-109")
    assert (pysec.fixed[0], pysec.matched_range) == ("3.2.5", ">=3.2, <3.2.5")
    assert "CVE-2021-35042" in pysec.aliases
    assert len(django.matches) > 20
    rustsec = next(x for x in tokio.matches if x.advisory_id == "RUSTSEC-2021-0124")
    assert rustsec.fixed == ("1.13.1", "1.8.4") and rustsec.matched_range == ">=1.9.0, <1.13.1"
    assert "GO-2022-0969" in {x.advisory_id for x in net.matches}
    assert "GO-2022-0969" in {x.advisory_id for x in stdlib.matches}
    assert "PYSEC-2021-125" not in {x.advisory_id for x in ansible.matches}
    assert "RUSTSEC-2021-0124" not in {x.advisory_id for x in fixed_tokio.matches}


def _sync_old_then_current(
    database: Database,
    shared_data: Path,
    client: HttpClient,
    *,
    full: bool,
    ecosystems: list[str] | None = None,
) -> tuple[BucketServer, store.Delta]:
    server = BucketServer(shared_data / "osv" / "pypi-2023-12-23").start()
    try:
        first = import_location(database, server.url, client=client, ecosystems=ecosystems)
        assert (len(first.new), first.skipped) == (2541, ())
        server.root = (shared_data / "osv" / "current").resolve()  # the bucket moves on
        server.requests.clear()
        outcome = sync_sources(database, client=client, full=full)
        assert outcome.failures == ()
        (report,) = outcome.reports
        assert report.skipped == ()
        with database.session() as session:
            delta = store.get_delta(session, report.run_id)
        assert delta is not None
        return server, delta
    finally:
        server.stop()


def test_syncing_the_2023_pypi_export_to_the_current_one(
    database: Database, shared_data: Path, client: HttpClient
) -> None:
    server, delta = _sync_old_then_current(
        database, shared_data, client, full=False, ecosystems=["PyPI"]
    )
    assert (len(delta.new), len(delta.modified), len(delta.withdrawn)) == (120, 15, 1)
    assert delta.withdrawn == ("PYSEC-2021-125",)
    assert "PYSEC-2024-55" in delta.new
    assert "PYSEC-2022-43059" in delta.modified
    assert ("PyPI", "ansible") in delta.packages
    # Incremental: each changed record fetched once as <ID>.json, never all.zip.
    assert server.count("all.zip") == 0
    assert server.count(".json") == 136
    assert delta.run.kind == "sync"


def test_a_full_sync_also_sees_a_change_without_a_new_modified_time(
    database: Database, shared_data: Path, client: HttpClient
) -> None:
    server, delta = _sync_old_then_current(
        database, shared_data, client, full=True, ecosystems=["PyPI"]
    )
    assert (len(delta.new), len(delta.modified), len(delta.withdrawn)) == (120, 16, 1)
    assert "PYSEC-2023-177" in delta.modified
    assert server.count("/PyPI/all.zip") == 1


def test_a_source_following_every_ecosystem_picks_up_new_ones(
    database: Database, shared_data: Path, client: HttpClient
) -> None:
    server, delta = _sync_old_then_current(database, shared_data, client, full=False)
    pypi = [i for i in delta.new if i.startswith("PYSEC-")]
    assert (len(pypi), len(delta.new), len(delta.modified)) == (120, 120 + 4291 + 1206, 15)
    # Go and crates.io had no cursor yet: their all.zip was read; PyPI stayed incremental.
    assert server.count("/Go/all.zip") == server.count("/crates.io/all.zip") == 1
    assert server.count("/PyPI/all.zip") == 0


def test_cached_answers_equal_fresh_evaluation_on_real_data(
    sqlite_uri: str, shared_data: Path, client: HttpClient
) -> None:
    """Answers are cached per region between boundaries; check them against a direct
    evaluation of every advisory for thousands of real (package, version) pairs. (Matching
    is the same whatever the database, so SQLite only.)"""
    import random

    database = Database(sqlite_uri)
    for ecosystem in ("PyPI", "Go", "crates.io"):
        zip_path = shared_data / "osv" / "current" / ecosystem / "all.zip"
        import_location(database, str(zip_path), client=client)
    m = Matcher.load(database)
    rng = random.Random(5)
    queries = []
    for ecosystem, key in sorted(m.index.keys()):
        entries = m.index.entries(ecosystem, key)
        versions = {e.value for en in entries for r in en.affected.ranges for e in r.events}
        versions |= {v for en in entries for v in en.affected.versions}
        versions |= {"0.0.1", "1.0.0", "2.5.3", "99.0.0"}
        for version in rng.sample(sorted(versions), min(4, len(versions))):
            queries.append(Query(ecosystem, key, version))
    cached = m.match(queries)
    cached = m.match(queries)  # second pass: every answer now comes from the cache
    fresh = Matcher.load(database)
    for query, result in zip(queries, cached, strict=True):
        package = fresh.index.package(query.ecosystem, query.name)
        assert package is not None
        scheme = package.scheme
        assert scheme is not None
        if not scheme.is_valid(query.version or ""):
            assert result.error is not None and result.matches == ()
            continue
        matches, error, undecided = fresh._exact_answer(
            package, scheme.parse(query.version or ""), query.version or ""
        )
        assert (result.matches, result.error, result.undecided) == (matches, error, undecided)
    assert len(queries) > 8000
