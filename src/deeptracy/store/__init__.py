"""Persistence: SQLAlchemy models, the database handle and Alembic migrations."""

# Nothing is imported here: `deeptracy.store.enums` must stay usable without loading
# SQLAlchemy (a one-shot `deeptracy scan` never touches the ORM). Import from submodules.
