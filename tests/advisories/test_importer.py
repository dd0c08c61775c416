"""Import into a real database (SQLite and PostgreSQL): counts, skips, deltas, transactions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from tests.support.osv_records import affected, osv, rng, write_dir

from deeptracy.advisories import store
from deeptracy.advisories.http import HttpClient
from deeptracy.advisories.importer import Importer
from deeptracy.advisories.matcher import Matcher, Query
from deeptracy.advisories.model import parse_record
from deeptracy.advisories.progress import NULL_PROGRESS, Progress
from deeptracy.advisories.sources import AdvisorySource, DirectorySource, Entry, Item, SourceError
from deeptracy.advisories.sync import import_location, import_source
from deeptracy.store.db import Database
from deeptracy.store.models import (
    Advisory,
    AdvisoryChange,
    AdvisoryChangePackage,
    AdvisoryPackage,
    AdvisoryRun,
)
from deeptracy.store.models import (
    AdvisorySource as SourceRow,
)

DJANGO = affected("PyPI", "Django", rng(("introduced", "3.0"), ("fixed", "3.2.13")))


def records() -> list[dict[str, Any]]:
    return [
        osv("PYSEC-1", DJANGO, aliases=["CVE-2022-1"]),
        osv("GO-1", affected("Go", "example.com/mod", rng(("introduced", "0"), type="SEMVER"))),
        osv(
            "RUSTSEC-1",
            affected(
                "crates.io", "tokio", rng(("introduced", "0"), ("fixed", "1.0.0"), type="SEMVER")
            ),
        ),
    ]


def counts(db: Database) -> dict[str, int]:
    with db.session() as session:
        return {
            model.__tablename__: session.execute(
                select(func.count()).select_from(model)
            ).scalar_one()
            for model in (
                Advisory,
                AdvisoryPackage,
                AdvisoryRun,
                AdvisoryChange,
                AdvisoryChangePackage,
                SourceRow,
            )
        }


def import_dir(db: Database, root: Path) -> Any:
    with HttpClient() as client:
        return import_location(db, str(root), client=client)


def test_a_directory_imports_and_bad_records_are_skipped_with_their_id_or_file(
    database: Database, tmp_path: Path
) -> None:
    root = write_dir(tmp_path / "advisories", records())
    (root / "broken.json").write_text("{not json")
    (root / "nested").mkdir()
    bad_range = osv("PYSEC-9", affected("PyPI", "x", rng(("introduced", "0"), type="NUMERIC")))
    (root / "nested" / "PYSEC-9.json").write_text(json.dumps(bad_range))
    (root / "nested" / "GHSA-y.yaml").write_text(
        "id: GHSA-y\nmodified: 2024-01-01T00:00:00Z\naffected:\n"
        "  - package: {ecosystem: npm, name: left-pad}\n    versions: [1.10]\n"
    )
    (root / ".git").mkdir()
    (root / ".git" / "ignored.json").write_text("{}")
    (root / "README.md").write_text("not a record")

    report = import_dir(database, root)

    assert report.new == ("GHSA-y", "GO-1", "PYSEC-1", "RUSTSEC-1")
    assert report.modified == report.withdrawn == () and report.unchanged == 0
    skipped = {(s.advisory_id, Path(s.where).name): s.message for s in report.skipped}
    assert skipped == {
        (None, "broken.json"): "invalid JSON: Expecting property name enclosed in double quotes "
        "(line 1, column 2)",
        ("PYSEC-9", "PYSEC-9.json"): "affected[0].ranges[0].type: unknown range type 'NUMERIC' "
        "(expected ECOSYSTEM, SEMVER or GIT)",
    }
    assert not report.ok
    with database.session() as session:
        assert store.get_record(session, "PYSEC-1") == records()[0]
        assert store.get_record(session, "PYSEC-9") is None
        (source,) = store.list_sources(session)
        assert (source.kind, source.location) == ("directory", str(root.resolve()))
        assert len(store.run_problems(session, report.run_id)) == 2
    (result,) = Matcher.load(database).match([Query("npm", "left-pad", "1.10")])
    assert [m.advisory_id for m in result.matches] == ["GHSA-y"]


def test_reimporting_changes_nothing_and_still_records_a_run(
    database: Database, tmp_path: Path
) -> None:
    root = write_dir(tmp_path / "a", records())
    first = import_dir(database, root)
    second = import_dir(database, root)
    assert second.run_id > first.run_id
    assert (second.new, second.modified, second.withdrawn, second.unchanged) == ((), (), (), 3)
    with database.session() as session:
        delta = store.get_delta(session, second.run_id)
        assert delta is not None and delta.packages == ()
        assert [r.id for r in store.latest_runs(session, after_id=first.run_id)] == [second.run_id]


def test_changes_are_classified_and_the_delta_names_packages_before_and_after(
    database: Database, tmp_path: Path
) -> None:
    import_dir(database, write_dir(tmp_path / "v1", records()))
    renamed = osv(  # the package moved from django to django-extra, and a range changed
        "PYSEC-1",
        affected("PyPI", "django_extra", rng(("introduced", "0"), ("fixed", "4.0"))),
        modified="2024-06-01T00:00:00Z",
    )
    withdrawn = osv(
        *[records()[1]["id"]],
        *records()[1]["affected"],
        modified="2024-06-01T00:00:00Z",
        withdrawn="2024-05-31T00:00:00Z",
    )
    silent = records()[2]
    silent["details"] = "the same modified time, new content"
    older = osv("PYSEC-0", DJANGO, modified="2023-01-01T00:00:00Z")
    report = import_dir(database, write_dir(tmp_path / "v2", [renamed, withdrawn, silent, older]))

    assert report.new == ("PYSEC-0",)
    assert report.modified == ("PYSEC-1", "RUSTSEC-1")
    assert report.withdrawn == ("GO-1",)
    with database.session() as session:
        delta = store.get_delta(session, report.run_id)
        assert delta is not None
        assert delta.packages_by_advisory["PYSEC-1"] == (
            ("PyPI", "django"),
            ("PyPI", "django-extra"),
        )
        assert delta.packages_by_advisory["GO-1"] == (("Go", "example.com/mod"),)
        assert ("crates.io", "tokio") in delta.packages
        assert store.changed_packages_since(session, report.run_id - 1) == set(delta.packages)
        assert store.changed_packages_since(session, report.run_id) == set()

    # An older copy never replaces a newer record.
    stale = osv("PYSEC-1", DJANGO, modified="2024-01-01T00:00:00Z")
    report = import_dir(database, write_dir(tmp_path / "v3", [stale]))
    assert (report.modified, report.unchanged) == ((), 1)
    m = Matcher.load(database)
    hit, withdrawn_q = m.match(
        [Query("PyPI", "django-extra", "3.9"), Query("Go", "example.com/mod", "v1.0.0")]
    )
    assert [x.advisory_id for x in hit.matches] == ["PYSEC-1"]
    assert withdrawn_q.matches == ()  # withdrawn records stay stored but never match
    with database.session() as session:
        assert store.get_record(session, "GO-1") is not None


def test_the_index_loaded_from_the_database_matches_like_the_records(
    database: Database, tmp_path: Path
) -> None:
    extra = osv(
        "GHSA-2",
        affected(
            "PyPI",
            "django",
            rng(("introduced", "0"), ("last_affected", "3.1"), ("limit", "9")),
            versions=["3.2.1"],
        ),
        affected("npm", "@scope/pkg", rng(("introduced", "1.0.0"), ("fixed", "1.0.5"))),
        severity=[{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
    )
    data = [*records(), extra]
    import_dir(database, write_dir(tmp_path / "a", data))
    queries = [
        Query("PyPI", "django", v) for v in ("2.9", "3.0", "3.1", "3.2.1", "3.2.13", "bad!")
    ] + [Query("npm", "@scope/pkg", "1.0.4"), Query("PyPI", "django", declared=">=3.1,<3.3")]
    from_db = Matcher.load(database).match(queries)
    from_records = Matcher.from_records(parse_record(r) for r in data).match(queries)
    assert from_db == from_records
    assert [len(r.matches) for r in from_db] == [1, 2, 2, 2, 0, 0, 1, 2]
    # Loading only the queried packages answers them the same, and knows nothing else.
    keys = {("PyPI", "django"), ("npm", "@scope/pkg")}
    targeted = Matcher.load(database, keys=keys)
    assert targeted.match(queries) == from_db
    assert set(targeted.index.keys()) == keys
    assert Matcher.load(database, keys=set()).match(queries[:1])[0].matches == ()


class _Interrupted(AdvisorySource):
    """A source that delivers records, then dies the way a Ctrl-C or a broken archive would."""

    kind = "directory"

    def __init__(self, location: str, items: list[Item], error: BaseException) -> None:
        self.location, self.items, self.error = location, items, error

    def entries(self, progress: Progress = NULL_PROGRESS) -> Iterator[Item]:
        yield from self.items
        raise self.error


@pytest.mark.parametrize("error", [KeyboardInterrupt(), SourceError("archive truncated")])
def test_an_interrupted_import_leaves_the_database_as_it_was(
    database: Database, tmp_path: Path, error: BaseException
) -> None:
    import_dir(database, write_dir(tmp_path / "a", records()))
    before = counts(database)
    changed = osv("PYSEC-1", DJANGO, modified="2025-01-01T00:00:00Z", summary="changed")
    items: list[Item] = [
        Entry(f"mem/{i}.json", json.dumps(osv(f"NEW-{i}", DJANGO)).encode()) for i in range(2500)
    ]
    items.append(Entry("mem/PYSEC-1.json", json.dumps(changed).encode()))
    with pytest.raises(type(error)):
        import_source(database, _Interrupted(str(tmp_path / "b"), items, error))
    assert counts(database) == before
    with database.session() as session:
        assert store.get_record(session, "PYSEC-1") == records()[0]
        assert store.get_record(session, "NEW-1") is None


def test_duplicates_in_one_import_keep_the_newest_copy(database: Database, tmp_path: Path) -> None:
    old = osv("PYSEC-7", DJANGO, modified="2024-01-01T00:00:00Z", summary="old")
    new = osv("PYSEC-7", DJANGO, modified="2024-02-01T00:00:00Z", summary="new")
    items: list[Item] = [
        Entry("a.json", json.dumps(new).encode()),
        Entry("b.json", json.dumps(osv("X-1", DJANGO)).encode()),
        Entry("c.json", json.dumps(old).encode()),
        Entry("d.json", json.dumps(osv("X-2", DJANGO)).encode()),
        Entry("e.json", json.dumps(new).encode(), expected_id="PYSEC-8"),
    ]
    with database.session() as session:
        importer = Importer(session, kind="import", batch_size=2)  # duplicates across batches
        importer.start()
        importer.feed(items)
        report = importer.finish()
    assert report.new == ("PYSEC-7", "X-1", "X-2")
    assert [str(s) for s in report.skipped] == [
        "PYSEC-8 (e.json): the file holds record 'PYSEC-7', not 'PYSEC-8'"
    ]
    with database.session() as session:
        assert store.get_record(session, "PYSEC-7")["summary"] == "new"  # type: ignore[index]


def test_status_counts_records_per_ecosystem(database: Database, tmp_path: Path) -> None:
    data = [
        *records(),
        osv(
            "GO-2",
            affected("Go", "example.com/mod", rng(("introduced", "0"), type="SEMVER")),
            withdrawn="2024-01-02T00:00:00Z",
        ),
    ]
    import_dir(database, write_dir(tmp_path / "a", data))
    with database.session() as session:
        current = store.status(session)
    assert [(e.ecosystem, e.records, e.withdrawn, e.packages) for e in current.ecosystems] == [
        ("Go", 2, 1, 1),
        ("PyPI", 1, 0, 1),
        ("crates.io", 1, 0, 1),
    ]
    assert (current.records, current.withdrawn) == (4, 1)
    assert current.last_run is not None and current.last_run.new == 4
    assert current.to_dict()["sources"][0]["kind"] == "directory"  # type: ignore[index]


def test_a_missing_source_is_an_error_before_anything_is_written(
    database: Database, tmp_path: Path
) -> None:
    with pytest.raises(SourceError, match="no such file or directory"):
        import_dir(database, tmp_path / "absent")
    with pytest.raises(SourceError, match="is not a directory"):
        list(DirectorySource(tmp_path / "absent").entries())
    assert counts(database)["advisory_runs"] == 0
