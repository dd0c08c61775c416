"""INSERT ... ON CONFLICT DO NOTHING on SQLite and PostgreSQL.

Catching IntegrityError inside a SAVEPOINT is the portable alternative, but Python's sqlite3
module (in its default transaction mode) commits the surrounding transaction when a
SAVEPOINT is its first statement; a conflict-ignoring insert needs no savepoint at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import CursorResult, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Session


def insert_ignoring_conflicts(
    session: Session,
    model: type[DeclarativeBase],
    values: Mapping[str, Any],
    conflict: Sequence[str],
) -> bool:
    """Insert one row unless it conflicts on the `conflict` columns; True when inserted."""
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    # The Core table, not the ORM class: an ORM-enabled INSERT reports no reliable rowcount.
    table = cast(Table, model.__table__)
    statement = module.insert(table).values(**values)
    result = session.execute(statement.on_conflict_do_nothing(index_elements=list(conflict)))
    assert isinstance(result, CursorResult)  # an INSERT answers with a cursor result
    return bool(result.rowcount)
