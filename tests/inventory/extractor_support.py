"""Helpers for the extractor tests: scan a fixture tree with chosen extractors, and read its
packages and errors as plain tuples that assertions can spell out in full."""

from __future__ import annotations

from pathlib import Path

from deeptracy.inventory.interface import Extractor
from deeptracy.inventory.model import Inventory, Package
from deeptracy.inventory.walker import scan_tree

Row = tuple[object, ...]


def scan(root: Path, *extractors: Extractor) -> Inventory:
    return scan_tree(root, extractors=list(extractors))


def row(pkg: Package) -> Row:
    """(name, version, declared, direct, scope, locations, note) of a package."""
    return (
        pkg.name,
        pkg.version,
        pkg.declared,
        pkg.direct,
        pkg.scope.value if pkg.scope else None,
        [(loc.path, loc.line) for loc in pkg.locations],
        pkg.note,
    )


def rows(inventory: Inventory, source: str | None = None) -> list[Row]:
    return [row(p) for p in inventory.packages if source is None or p.source == source]


def errors(inventory: Inventory) -> list[tuple[str, int | None, str]]:
    """(path, line, message) of each error, by file and line."""
    found = [(e.path, e.line, e.message) for e in inventory.errors]
    return sorted(found, key=lambda e: (e[0], e[1] or 0, e[2]))


def write(root: Path, rel: str, text: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path
