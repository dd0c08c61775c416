"""All report formats in one place, by --format name."""

from __future__ import annotations

from typing import Any

from deeptracy.reports.cyclonedx import CycloneDXWriter
from deeptracy.reports.interface import Writer
from deeptracy.reports.json import JsonWriter
from deeptracy.reports.markdown import MarkdownWriter
from deeptracy.reports.sarif import SarifWriter
from deeptracy.reports.table import TableWriter

WRITERS: dict[str, type[Writer]] = {
    w.name: w for w in (TableWriter, JsonWriter, SarifWriter, CycloneDXWriter, MarkdownWriter)
}


class UnknownFormat(ValueError):
    pass


def formats() -> tuple[str, ...]:
    return tuple(WRITERS)


def get_writer(name: str, **options: Any) -> Writer:
    """The writer of a format, built with its options (e.g. table width, cyclonedx
    vulnerabilities=False for an inventory-only SBOM)."""
    try:
        writer = WRITERS[name.strip().lower()]
    except KeyError:
        raise UnknownFormat(
            f"unknown report format {name!r}; choose one of: {', '.join(WRITERS)}"
        ) from None
    return writer(**options)
