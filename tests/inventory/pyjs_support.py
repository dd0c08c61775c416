"""Helpers for the Python and JavaScript extractor tests: scan a fixture tree, compare rows."""

from __future__ import annotations

from pathlib import Path

from deeptracy.inventory.interface import Extractor
from deeptracy.inventory.model import Inventory, Package
from deeptracy.inventory.walker import scan_tree

Row = tuple[str, str | None, bool | None, str | None, int | None]


def scan(root: Path, *extractors: Extractor) -> Inventory:
    return scan_tree(root, extractors=list(extractors))


def row(pkg: Package) -> Row:
    """(name, version, direct, scope, first line)."""
    line = pkg.locations[0].line if pkg.locations else None
    return (pkg.name, pkg.version, pkg.direct, pkg.scope.value if pkg.scope else None, line)


def rows(inventory: Inventory) -> list[Row]:
    return [row(p) for p in inventory.packages]


def errors(inventory: Inventory) -> list[tuple[str, int | None, str]]:
    return [(e.path, e.line, e.message) for e in inventory.errors]


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path
