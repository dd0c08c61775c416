"""All report formats in one place, by --format name.

A writer's module is imported when its format is asked for: the CycloneDX library alone
costs a tenth of a second, which a `deeptracy scan --format json` in CI should not pay.
"""

from __future__ import annotations

import importlib
from typing import Any

from deeptracy.reports.interface import Writer

# --format name -> (module, class)
WRITERS: dict[str, tuple[str, str]] = {
    "table": ("deeptracy.reports.table", "TableWriter"),
    "json": ("deeptracy.reports.json", "JsonWriter"),
    "sarif": ("deeptracy.reports.sarif", "SarifWriter"),
    "cyclonedx": ("deeptracy.reports.cyclonedx", "CycloneDXWriter"),
    "markdown": ("deeptracy.reports.markdown", "MarkdownWriter"),
}


class UnknownFormat(ValueError):
    pass


def formats() -> tuple[str, ...]:
    return tuple(WRITERS)


def writer_class(name: str) -> type[Writer]:
    try:
        module, attribute = WRITERS[name.strip().lower()]
    except KeyError:
        raise UnknownFormat(
            f"unknown report format {name!r}; choose one of: {', '.join(WRITERS)}"
        ) from None
    cls: type[Writer] = getattr(importlib.import_module(module), attribute)
    return cls


def get_writer(name: str, **options: Any) -> Writer:
    """The writer of a format, built with its options (e.g. table width, cyclonedx
    vulnerabilities=False for an inventory-only SBOM)."""
    return writer_class(name)(**options)
