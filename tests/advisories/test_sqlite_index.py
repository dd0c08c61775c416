"""The stdlib SQLite reader answers exactly like the ORM loader it shortcuts."""

from __future__ import annotations

from pathlib import Path

from tests.support.osv_records import affected, osv, rng
from tests.support.scans import RECORDS, import_records

from deeptracy.advisories.index import AdvisoryIndex
from deeptracy.advisories.matcher import Matcher, Query
from deeptracy.advisories.sqlite_index import (
    advisory_count,
    load_index,
    open_readonly,
    schema_revision,
)
from deeptracy.store.db import Database
from deeptracy.store.revision import SCHEMA_REVISION

QUERIES = [
    Query("PyPI", "Flask", "0.11"),
    Query("PyPI", "flask", "1.0"),
    Query("PyPI", "requests", "2.20.0"),
    Query("PyPI", "requests", declared=">=2.0,<3"),
    Query("npm", "lodash", "4.17.15"),
    Query("PyPI", "django", "3.2"),
    Query("PyPI", "requests", "not-a-version!"),
]


def test_same_answers_as_the_orm_loader(sqlite_uri: str, tmp_path: Path) -> None:
    db = Database(sqlite_uri)
    withdrawn = osv(
        "GHSA-gone",
        affected("PyPI", "requests", rng(("introduced", "0"))),
        withdrawn="2024-02-01T00:00:00Z",
    )
    import_records(db, tmp_path / "records", [*RECORDS, withdrawn])
    path = Path(sqlite_uri.removeprefix("sqlite:///"))
    keys = {("PyPI", "flask"), ("PyPI", "requests"), ("npm", "lodash")}
    with db.session() as session:
        orm_all, orm_some = AdvisoryIndex.load(session), AdvisoryIndex.load(session, keys)
    db.dispose()
    with open_readonly(path) as conn:
        assert schema_revision(conn) == SCHEMA_REVISION
        assert advisory_count(conn) == len(RECORDS) + 1
        raw_all, raw_some = load_index(conn), load_index(conn, keys)
    expected = Matcher(orm_all).match(QUERIES)
    assert Matcher(raw_all).match(QUERIES) == expected
    assert Matcher(raw_some).match(QUERIES) == Matcher(orm_some).match(QUERIES) == expected
    assert set(raw_some.keys()) == keys
    # The withdrawn record is stored but never loaded, by either path.
    assert all("GHSA-gone" not in {m.advisory_id for m in r.matches} for r in expected)
    assert [len(r.matches) for r in expected] == [2, 0, 1, 1, 1, 0, 0]  # 1.0 is the fix


def test_a_missing_or_foreign_file_is_an_error_not_a_crash(tmp_path: Path) -> None:
    import sqlite3

    import pytest

    with pytest.raises(sqlite3.Error), open_readonly(tmp_path / "missing.db"):
        pass
    other = tmp_path / "other.db"
    sqlite3.connect(other).close()
    with open_readonly(other) as conn:
        assert schema_revision(conn) is None
