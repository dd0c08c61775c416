"""The `deeptracy` command: wires settings, stores and stages together; no logic of its own.

Each subcommand's module is imported only when that subcommand runs (all of them for
`--help`): `deeptracy scan` in CI should not pay for the web stack or the advisory importer.
"""

from __future__ import annotations

import importlib
import sys

import typer

# name -> (module, attribute, is a group of commands)
COMMANDS: dict[str, tuple[str, str, bool]] = {
    "scan": ("deeptracy.cli.scan", "scan", False),
    "inventory": ("deeptracy.cli.inventory", "inventory", False),
    "advisories": ("deeptracy.cli.advisories", "app", True),
    "serve": ("deeptracy.cli.serve", "serve", False),
    "worker": ("deeptracy.cli.worker", "worker", False),
    "token": ("deeptracy.cli.token", "app", True),
    "db": ("deeptracy.cli.db", "app", True),
}


def build_app(only: str | None = None) -> typer.Typer:
    """The command tree; with `only`, just that subcommand is imported and registered."""
    app = typer.Typer(
        name="deeptracy",
        help="DeepTracy: vulnerable dependencies read from lockfiles, matched against OSV "
        "advisories.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
    )

    @app.callback()
    def _root() -> None:
        """Keeps subcommands as subcommands even when only one is registered."""

    for name, (module, attribute, group) in COMMANDS.items():
        if only is not None and name != only:
            continue
        target = getattr(importlib.import_module(module), attribute)
        if group:
            app.add_typer(target, name=name)
        else:
            app.command(name)(target)
    return app


def __getattr__(name: str) -> typer.Typer:
    # `from deeptracy.cli import app` (typer's test runner) gets the whole tree.
    if name == "app":
        return build_app()
    raise AttributeError(name)


def main() -> None:
    argv = sys.argv[1:]
    build_app(argv[0] if argv and argv[0] in COMMANDS else None)()
