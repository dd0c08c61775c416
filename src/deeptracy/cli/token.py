"""`deeptracy token`: API tokens for the REST API, webhooks aside."""

from __future__ import annotations

import json
from datetime import timedelta

import typer
from rich.console import Console
from rich.table import Table

from deeptracy.cli.common import fail, open_database, settings
from deeptracy.store.enums import TokenScope
from deeptracy.store.tokens import TokenError, create_token, list_tokens, revoke_token

app = typer.Typer(
    help="API tokens (sent as `Authorization: Bearer <token>`).", no_args_is_help=True
)


@app.command("create")
def create_cmd(
    name: str = typer.Option(..., "--name", help="What the token is for."),
    scope: TokenScope = typer.Option(TokenScope.READ, "--scope", help="read, write or admin."),
    expires_days: int | None = typer.Option(None, "--expires-days", min=1, help="Lifetime."),
) -> None:
    """Create a token and print it once; only its hash is stored."""
    db = open_database(settings())
    try:
        with db.session() as session:
            expires = timedelta(days=expires_days) if expires_days else None
            plaintext, info = create_token(session, name, scope, expires_in=expires)
    except TokenError as exc:
        fail(str(exc))
    typer.echo(plaintext)
    typer.echo(
        f"token {info.id} '{info.name}' ({info.scope}) created; it will not be shown again",
        err=True,
    )


@app.command("list")
def list_cmd(fmt: str = typer.Option("table", "--format", help="table or json.")) -> None:
    """List tokens (never their values)."""
    db = open_database(settings())
    with db.session() as session:
        tokens = list_tokens(session)
    if fmt == "json":
        rows = [
            {
                "id": t.id,
                "name": t.name,
                "scope": t.scope.value,
                "prefix": t.prefix,
                "active": t.active,
                "created_at": t.created_at.isoformat(),
                "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
                "expires_at": t.expires_at.isoformat() if t.expires_at else None,
                "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
            }
            for t in tokens
        ]
        typer.echo(json.dumps(rows, indent=2))
        return
    if fmt != "table":
        fail(f"unknown format {fmt!r}: use table or json")
    table = Table("id", "name", "scope", "prefix", "active", "last used")
    for t in tokens:
        last = t.last_used_at.strftime("%Y-%m-%d %H:%M") if t.last_used_at else "-"
        table.add_row(str(t.id), t.name, t.scope.value, t.prefix + "…", str(t.active), last)
    Console().print(table)


@app.command("revoke")
def revoke_cmd(ident: str = typer.Argument(..., help="Token id or name.")) -> None:
    """Revoke a token by id, or every active token of a name."""
    db = open_database(settings())
    try:
        with db.session() as session:
            revoked = revoke_token(session, ident)
    except TokenError as exc:
        fail(str(exc))
    for t in revoked:
        typer.echo(f"revoked token {t.id} '{t.name}'")
