"""What every command needs: settings, logging, a database handle, and error exits."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, NoReturn

import typer
from pydantic import ValidationError

from deeptracy.config import Settings, load_settings
from deeptracy.logs import configure_logging

if TYPE_CHECKING:
    from deeptracy.store.db import Database

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2


def fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(EXIT_ERROR)


def settings() -> Settings:
    try:
        loaded = load_settings()
    except ValidationError as exc:
        fail(f"invalid configuration: {exc}")
    configure_logging(loaded)
    return loaded


def open_database(config: Settings, *, migrate: bool = True) -> Database:
    """The configured database, upgraded to the current schema unless told otherwise."""
    from deeptracy.store.db import Database, ensure_schema, redacted  # not every command

    db = Database(config.effective_database_uri)
    if migrate:
        try:
            ensure_schema(db)
        except Exception as exc:  # unreachable server, bad credentials, locked file...
            fail(f"cannot open database {redacted(config.effective_database_uri)}: {exc}")
    return db


def is_terminal() -> bool:
    return sys.stderr.isatty()
