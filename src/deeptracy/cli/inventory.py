"""`deeptracy inventory PATH`: the dependencies of a checkout, read from its files."""

from __future__ import annotations

import io
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from deeptracy.cli.common import EXIT_OK, fail
from deeptracy.cli.local import read_local
from deeptracy.inventory.model import Inventory


class InventoryFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CYCLONEDX = "cyclonedx"


def inventory(
    path: Annotated[Path, typer.Argument(help="A directory (walked) or one lockfile/manifest.")],
    fmt: Annotated[
        InventoryFormat, typer.Option("--format", "-f", help="table, json or cyclonedx.")
    ] = InventoryFormat.TABLE,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file, not stdout.")
    ] = None,
) -> None:
    """List every dependency found in manifests, lockfiles and SBOMs; nothing is executed.

    Exit codes: 0 the inventory was written (per-file errors are part of it), 2 usage or
    runtime error.
    """
    local = read_local(path)
    if fmt is InventoryFormat.JSON:
        text = json.dumps(local.inventory.to_dict(), indent=2) + "\n"
    elif fmt is InventoryFormat.CYCLONEDX:
        from deeptracy.reports.cyclonedx import CycloneDXWriter

        text = CycloneDXWriter(vulnerabilities=False).render(local.report())
    else:
        text = _table(local.inventory)
    if output is not None:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            fail(f"cannot write {output}: {exc.strerror}")
    else:
        sys.stdout.write(text)
    raise typer.Exit(EXIT_OK)


def _table(inv: Inventory) -> str:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from deeptracy.reports.common import clean, location_text, version_text

    buffer = io.StringIO()
    console = Console(file=buffer, width=None if sys.stdout.isatty() else 120)
    table = Table("ecosystem", "package", "version", "direct", "scope", "location", box=None)
    for p in inv.packages:
        direct = "-" if p.direct is None else ("yes" if p.direct else "no")
        cells = (p.ecosystem, p.name, version_text(p), direct, p.scope or "", location_text(p))
        table.add_row(*(Text(clean(str(cell))) for cell in cells))
    console.print(table)
    files = len({p.source for p in inv.packages})
    console.print(f"{len(inv.packages)} packages from {files} files", markup=False)
    for error in inv.errors:
        where = f"{error.path}:{error.line}" if error.line else error.path
        console.print(f"error {clean(where)}: {clean(error.message)}", markup=False)
    return buffer.getvalue()
