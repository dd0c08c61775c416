"""INSERT ... ON CONFLICT DO NOTHING on SQLite and PostgreSQL.

Catching IntegrityError inside a SAVEPOINT is the portable alternative, but Python's sqlite3
module (in its default transaction mode) commits the surrounding transaction when a
SAVEPOINT is its first statement; a conflict-ignoring insert needs no savepoint at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Table
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
    statement = statement.on_conflict_do_nothing(index_elements=list(conflict))
    # RETURNING tells inserted from ignored on both backends (rowcount is -1 on psycopg when
    # SQLAlchemy adds its own RETURNING for the primary key).
    returned = session.execute(statement.returning(*(table.c[name] for name in conflict)))
    return returned.first() is not None
