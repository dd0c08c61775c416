"""Persistence: SQLAlchemy models, the database handle and Alembic migrations."""

from deeptracy.store.db import Database, upgrade

__all__ = ["Database", "upgrade"]
