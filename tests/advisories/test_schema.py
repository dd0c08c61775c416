"""The first migration creates exactly what the ORM models describe, on both backends."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from deeptracy.store.base import Base
from deeptracy.store.db import Database, current_revision


def test_the_migrated_schema_matches_the_models(database: Database) -> None:
    with database.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    advisory_diff = [d for d in diff if "advisor" in repr(d)]
    assert advisory_diff == []
    assert current_revision(database) is not None
