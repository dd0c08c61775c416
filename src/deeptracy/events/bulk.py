"""Bulk writes for monitoring, where one advisory run may add tens of thousands of rows.

Rows are plain tuples written with the driver's fastest path: COPY on PostgreSQL (psycopg), an
`executemany` on SQLite. Ids are allocated up front (the sequence on PostgreSQL; max(id) + 1 on
SQLite, where the caller's transaction already holds the write lock), so the caller knows them
without RETURNING. Values must be in storage form: JSON as text (`as_json`), datetimes aware.
Table and column names are this module's callers' constants, never input (hence the S608
waivers); values always travel as parameters.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session


def as_json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, separators=(",", ":"))


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        # What SQLAlchemy's UTCDateTime stores on SQLite: naive UTC, microseconds.
        return (
            value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
        )
    return value


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def allocate_ids(session: Session, table: str, count: int) -> list[int]:
    """`count` fresh primary keys for `table` (its `id` column)."""
    if count == 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(
            text(
                "SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"
            ),
            {"table": table, "n": count},
        )
        return [int(r[0]) for r in rows]
    query = text(f"SELECT coalesce(max(id), 0) FROM {table}")  # noqa: S608
    start = int(session.execute(query).scalar_one())
    return list(range(start + 1, start + 1 + count))


def insert_rows(
    session: Session, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert `rows` (tuples in `columns` order) into `table`."""
    if not rows:
        return
    connection = session.connection()
    names = ", ".join(columns)
    if connection.dialect.name == "postgresql":
        driver: Any = connection.connection.driver_connection  # a psycopg Connection
        statement = f"COPY {table} ({names}) FROM STDIN"
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" for _ in columns)
    connection.exec_driver_sql(
        f"INSERT INTO {table} ({names}) VALUES ({marks})",  # noqa: S608
        _sqlite_rows(rows),
    )


def _sqlite_rows(rows: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
    """Rows with their datetimes in SQLite's storage form (only those columns are touched)."""
    dated = [i for i, v in enumerate(rows[0]) if isinstance(v, datetime)] if rows else []
    if not dated:
        return [row if isinstance(row, tuple) else tuple(row) for row in rows]
    converted: list[tuple[Any, ...]] = []
    seen: dict[datetime, str] = {}  # rows mostly share one "now"
    for row in rows:
        values = list(row)
        for i in dated:
            moment = values[i]
            if moment is not None:
                text_form = seen.get(moment)
                if text_form is None:
                    text_form = seen[moment] = _sqlite_value(moment)
                values[i] = text_form
        converted.append(tuple(values))
    return converted


def update_rows(
    session: Session,
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    key: str = "id",
    casts: dict[str, str] | None = None,
) -> None:
    """Set `columns` of each row identified by `key`; each row is (key, *values)."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # COPY into a temporary table, then one UPDATE ... FROM it.
        casts = casts or {}
        scratch = f"_bulk_{table}"
        session.execute(
            text(
                f"CREATE TEMPORARY TABLE {scratch} ({key} text, "
                + ", ".join(f"{c} text" for c in columns)
                + ") ON COMMIT DROP"
            )
        )
        insert_rows(session, scratch, (key, *columns), [[*map(_text, row)] for row in rows])
        assignments = ", ".join(f"{c} = v.{c}{casts.get(c, '')}" for c in columns)
        session.execute(
            text(
                f"UPDATE {table} SET {assignments} FROM {scratch} AS v "  # noqa: S608
                f"WHERE {table}.{key} = v.{key}"
            )
        )
        session.execute(text(f"DROP TABLE {scratch}"))
        return
    assignments = ", ".join(f"{c} = ?" for c in columns)
    connection.exec_driver_sql(
        f"UPDATE {table} SET {assignments} WHERE {key} = ?",  # noqa: S608
        _sqlite_rows([(*row[1:], row[0]) for row in rows]),
    )
