"""The `deeptracy` command: wires settings, stores and stages together; no logic of its own."""

from __future__ import annotations

import typer

from deeptracy.cli import advisories, db, inventory, serve, token

app = typer.Typer(
    name="deeptracy",
    help="DeepTracy: vulnerable dependencies read from lockfiles, matched against OSV advisories.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db.app, name="db")
app.add_typer(advisories.app, name="advisories")
app.add_typer(token.app, name="token")
app.command("serve")(serve.serve)
app.command("inventory")(inventory.inventory)


def main() -> None:
    app()
