"""The advisory index read straight from the embedded SQLite file, without SQLAlchemy.

A one-shot `deeptracy scan` spends more time importing SQLAlchemy than matching a thousand
packages; when the database is the embedded SQLite file at the current schema, it reads the
same rows as `AdvisoryIndex.load` with the standard library's driver, read-only. The two
paths are kept equal by a test that loads both and compares their answers.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from deeptracy.advisories.index import AdvisoryIndex

_KEYS_PER_QUERY = 400
_COLUMNS = (
    "a.id, a.aliases, a.summary, a.modified, p.ecosystem, p.name, p.package, p.affected, "
    "p.severity, p.score, p.vector"
)


@contextmanager
def open_readonly(path: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection; raises sqlite3.Error when the file is missing or unreadable."""
    uri = f"{path.resolve().as_uri()}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True, timeout=30)) as conn:
        yield conn


def schema_revision(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        return None
    return str(row[0]) if row else None


def advisory_count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM advisories").fetchone()[0])


def _moment(text: str) -> datetime:
    # UTCDateTime keeps naive UTC text in SQLite ("2024-10-10 17:22:00.000000").
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _rows(cursor: sqlite3.Cursor) -> Iterator[tuple[Any, ...]]:
    for row in cursor:
        advisory_id, aliases, summary, modified, *rest = row
        yield (advisory_id, json.loads(aliases), summary, _moment(modified), *rest)


def load_index(
    conn: sqlite3.Connection, keys: Collection[tuple[str, str]] | None = None
) -> AdvisoryIndex:
    """What `AdvisoryIndex.load(session, keys)` loads, from the same tables."""
    # Only constant text and "?" placeholders are formatted in; every value is bound.
    base = (
        f"SELECT {_COLUMNS} FROM advisories a JOIN advisory_packages p "  # noqa: S608
        "ON p.advisory_id = a.id WHERE a.withdrawn IS NULL"
    )
    if keys is None:
        return AdvisoryIndex.from_rows(list(_rows(conn.execute(base))))
    pairs = sorted(set(keys))
    rows: list[tuple[Any, ...]] = []
    for start in range(0, len(pairs), _KEYS_PER_QUERY):
        chunk = pairs[start : start + _KEYS_PER_QUERY]
        marks = ",".join("(?,?)" for _ in chunk)
        params = [value for pair in chunk for value in pair]
        query = f"{base} AND (p.ecosystem, p.name) IN (VALUES {marks})"
        rows.extend(_rows(conn.execute(query, params)))
    return AdvisoryIndex.from_rows(rows)
