from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, select

from deeptracy.store.base import UTCDateTime
from deeptracy.store.db import Database, redacted, sqlalchemy_url, upgrade


def test_urls_are_mapped_to_psycopg3_and_redacted() -> None:
    assert sqlalchemy_url("postgresql://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert sqlalchemy_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert sqlalchemy_url("sqlite:///x.db") == "sqlite:///x.db"
    assert "p4ss" not in redacted("postgresql://u:p4ss@h/db")


def test_upgrade_is_idempotent_and_the_database_answers(database: Database) -> None:
    upgrade(database)
    upgrade(database)
    database.ping()
    assert database.dialect in {"sqlite", "postgresql"}


def test_utc_datetimes_round_trip_on_both_backends(database: Database) -> None:
    table = Table(
        "t_times", MetaData(), Column("id", Integer, primary_key=True), Column("at", UTCDateTime)
    )
    table.create(database.engine)
    moment = datetime(2024, 5, 1, 12, 30, tzinfo=timezone(timedelta(hours=2)))
    with database.engine.begin() as conn:
        conn.execute(table.insert().values(id=1, at=moment))
        (stored,) = conn.execute(select(table.c.at)).one()
    assert stored == moment
    assert stored.tzinfo is not None and stored.utcoffset() == timedelta(0)
    with pytest.raises(Exception, match="naive datetime"), database.engine.begin() as conn:
        conn.execute(table.insert().values(id=2, at=datetime(2024, 1, 1)))
    assert stored.astimezone(UTC).hour == 10


def test_session_rolls_back_on_error(database: Database) -> None:
    table = Table("t_rows", MetaData(), Column("id", Integer, primary_key=True))
    table.create(database.engine)
    with pytest.raises(RuntimeError), database.session() as session:
        session.execute(table.insert().values(id=1))
        raise RuntimeError("interrupted")
    with database.session() as session:
        assert session.execute(select(table.c.id)).all() == []
