"""The newest migration's revision, importable without SQLAlchemy or Alembic.

`store.db.ensure_schema` and the one-shot scan's SQLite reader compare it with the database's
`alembic_version`; tests/store/test_migrations.py keeps it equal to the Alembic head.
"""

SCHEMA_REVISION = "0005"
