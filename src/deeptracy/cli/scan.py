"""`deeptracy scan PATH`: the inventory of a checkout matched against the advisory database.

For developers and CI: nothing is cloned, stored or executed; the same analyzers, merge and
`.deeptracy.yml` rules as the service. Exit codes: 0 no active finding at or above the
threshold; 1 findings at or above it; 2 usage or runtime error (including an analyzer that
failed, since its findings may be missing — the report is still written).
"""

from __future__ import annotations

import dataclasses
import sys
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from deeptracy.cli.common import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, fail, open_database, settings
from deeptracy.cli.local import read_local
from deeptracy.severity import Severity

if TYPE_CHECKING:
    from deeptracy.advisories.matcher import Matcher
    from deeptracy.config import Settings
    from deeptracy.store.db import Database


class ScanFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    SARIF = "sarif"
    CYCLONEDX = "cyclonedx"
    MARKDOWN = "markdown"


def scan(
    path: Annotated[Path, typer.Argument(help="A checkout (walked) or one lockfile/manifest.")],
    fmt: Annotated[
        ScanFormat,
        typer.Option("--format", "-f", help="table, json, sarif, cyclonedx or markdown."),
    ] = ScanFormat.TABLE,
    fail_on: Annotated[
        str | None,
        typer.Option(
            "--fail-on",
            help="Exit 1 when an active finding is at least this severe (CRITICAL, HIGH, "
            "MEDIUM, LOW, UNKNOWN). Default: .deeptracy.yml's fail_on, else any finding.",
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the report to this file.")
    ] = None,
) -> None:
    """Scan a checkout for vulnerable dependencies, from its files alone."""
    threshold = _threshold(fail_on)
    local = read_local(path)
    config = settings()

    from deeptracy.analyzers.interface import AnalyzerContext
    from deeptracy.analyzers.registry import load_analyzers
    from deeptracy.reports.model import AnalyzerState, AnalyzerStatus
    from deeptracy.reports.registry import get_writer
    from deeptracy.scanning.analyze import run_analyzers
    from deeptracy.scanning.merge import merge_findings
    from deeptracy.scanning.suppress import apply_ignores
    from deeptracy.store.enums import AnalysisState

    keys = frozenset(p.key for p in local.inventory.packages)
    db = None
    matcher = None if config.patton_uri else _embedded_matcher(config, keys)
    if matcher is None and not config.patton_uri:
        db = open_database(config)
        _require_advisories(db)
    context = AnalyzerContext(config, db, only_packages=keys, advisories=matcher)
    analyzers = load_analyzers(context)
    for problem in analyzers.problems:
        typer.echo(f"warning: {problem.origin}: {problem.message}", err=True)
    try:
        runs = run_analyzers(analyzers.analyzers, local.inventory, config.analyzer_timeout)
    finally:
        analyzers.close()
        if db is not None:
            db.dispose()

    merged = merge_findings(f for r in runs if r.state == AnalysisState.DONE for f in r.findings)
    outcome = apply_ignores(merged, local.config.ignore, datetime.now(UTC).date())
    states = {
        AnalysisState.DONE: AnalyzerState.DONE,
        AnalysisState.SKIPPED: AnalyzerState.SKIPPED,
    }
    report = dataclasses.replace(
        local.report(),
        findings=outcome.active,
        suppressed=outcome.suppressed,
        expired_rules=outcome.expired_rules,
        analyzers=tuple(
            AnalyzerStatus(r.name, states.get(r.state, AnalyzerState.FAILED), r.error) for r in runs
        ),
    )
    _write(get_writer(fmt.value).render(report), output)
    for run in runs:
        for warning in run.warnings:
            typer.echo(f"warning: {run.name}: {warning}", err=True)
    if report.failed_analyzers:
        names = ", ".join(a.name for a in report.failed_analyzers)
        typer.echo(f"error: analyzer(s) failed, findings may be missing: {names}", err=True)
        raise typer.Exit(EXIT_ERROR)
    effective = threshold or local.config.fail_on or Severity.NONE
    raise typer.Exit(EXIT_FINDINGS if report.threshold_exceeded(effective) else EXIT_OK)


def _threshold(text: str | None) -> Severity | None:
    if text is None:
        return None
    try:
        return Severity.parse(text)
    except ValueError as exc:
        fail(str(exc))


def _embedded_matcher(config: Settings, keys: frozenset[tuple[str, str]]) -> Matcher | None:
    """The inventory's advisories read from the embedded SQLite file without SQLAlchemy, when
    the database is a SQLite file already at the current schema; else None (the caller opens
    the database the usual way, which also migrates it)."""
    import sqlite3

    from deeptracy.advisories.matcher import Matcher
    from deeptracy.advisories.sqlite_index import (
        advisory_count,
        load_index,
        open_readonly,
        schema_revision,
    )
    from deeptracy.store.revision import SCHEMA_REVISION

    uri = config.effective_database_uri
    if not uri.startswith("sqlite:///") or "?" in uri:
        return None
    path = Path(uri.removeprefix("sqlite:///"))
    if not path.is_file():
        return None
    try:
        with open_readonly(path) as conn:
            if schema_revision(conn) != SCHEMA_REVISION:
                return None
            if not advisory_count(conn):
                fail(_EMPTY)
            return Matcher(load_index(conn, keys))
    except sqlite3.Error:
        return None  # locked, corrupt, unreadable: the usual path reports it precisely


_EMPTY = (
    "the advisory database is empty: run `deeptracy advisories import SOURCE` "
    "(or set PATTON_URI to use a remote OSV API)"
)


def _require_advisories(db: Database) -> None:
    """A scan against an empty database would report "nothing found": refuse instead."""
    from sqlalchemy import func, select

    from deeptracy.store.models import Advisory

    with db.session() as session:
        if not session.scalar(select(func.count()).select_from(Advisory)):
            fail(_EMPTY)


def _write(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror}")
