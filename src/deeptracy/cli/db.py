"""`deeptracy db`: schema management."""

from __future__ import annotations

import typer

from deeptracy.cli.common import fail, open_database, settings
from deeptracy.store.db import current_revision, redacted, upgrade

app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)


@app.command("upgrade")
def upgrade_cmd(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Apply every pending migration to DATABASE_URI (the embedded SQLite file by default)."""
    config = settings()
    db = open_database(config, migrate=False)
    try:
        upgrade(db, revision)
    except Exception as exc:
        fail(f"cannot upgrade {redacted(config.effective_database_uri)}: {exc}")
    typer.echo(f"{redacted(config.effective_database_uri)} at revision {current_revision(db)}")


@app.command("current")
def current_cmd() -> None:
    """Print the schema revision of the database."""
    db = open_database(settings(), migrate=False)
    typer.echo(current_revision(db) or "empty (run `deeptracy db upgrade`)")
