"""The migrations and the ORM models describe the same schema, on both backends."""

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import deeptracy.store.models  # noqa: F401  (registers every table)
from deeptracy.store.base import Base
from deeptracy.store.db import SCHEMA_REVISION, Database, current_revision, ensure_schema


def test_migrated_schema_matches_the_models(database: Database) -> None:
    with database.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_database_is_at_the_head_revision(database: Database) -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from deeptracy.store.db import MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    heads = ScriptDirectory.from_config(cfg).get_heads()
    assert len(heads) == 1, f"migrations must form one line, found heads {heads}"
    assert current_revision(database) == heads[0]
    assert heads[0] == SCHEMA_REVISION, (
        "bump deeptracy.store.revision.SCHEMA_REVISION to the new head"
    )


def test_ensure_schema_upgrades_a_new_database_and_skips_a_current_one(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'new.db'}")
    assert current_revision(db) is None
    ensure_schema(db)
    assert current_revision(db) == SCHEMA_REVISION
    ensure_schema(db)  # a no-op: one query
    assert current_revision(db) == SCHEMA_REVISION
