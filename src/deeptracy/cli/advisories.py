"""`deeptracy advisories`: import, sync, status, query, delta.

Exit codes: 0 success (for `query`: no advisory matched); 1 `import`/`sync` skipped some
input (bad records, refused zip entries, missing files; a summary goes to stderr) or `query`
found advisories; 2 usage errors and failures (unreadable source, database, a query that
could not be answered completely: invalid version or requirement, or an advisory whose range
could not be evaluated); 130 interrupted (the database is left as it was).
"""

from __future__ import annotations

import json
import logging
from enum import StrEnum
from typing import Annotated, NoReturn

import typer
from rich.console import Console, RenderableType
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.progress import Progress as RichBar
from rich.table import Table

from deeptracy.advisories import store
from deeptracy.advisories.http import HttpClient
from deeptracy.advisories.importer import RunReport
from deeptracy.advisories.matcher import Matcher, Query, QueryResult
from deeptracy.advisories.progress import NULL_PROGRESS, Progress, ProgressTask
from deeptracy.advisories.sources import SourceError
from deeptracy.advisories.sync import import_location, sync_sources
from deeptracy.cli.common import (
    EXIT_ERROR,
    EXIT_FINDINGS,
    EXIT_OK,
    fail,
    is_terminal,
    open_database,
    settings,
)
from deeptracy.config import Settings
from deeptracy.ecosystems import PurlError

app = typer.Typer(help="OSV advisories: import, sync, status and queries.", no_args_is_help=True)
EXIT_SKIPPED = 1
EXIT_INTERRUPTED = 130
_MAX_LISTED = 50  # skipped items printed in a table summary


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"


FormatOption = Annotated[
    Format, typer.Option("--format", "-f", help="table for people, json for programs (stable).")
]


def _out() -> Console:
    # Piped output is not cut to 80 columns: long summaries and paths stay readable.
    return Console(highlight=False, width=None if is_terminal() else 200)


def _err() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def _print_json(data: object) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


# ---- progress on a terminal ------------------------------------------------------------------


class _BarTask:
    def __init__(self, bar: RichBar, task: TaskID) -> None:
        self._bar, self._task = bar, task

    def advance(self, amount: int = 1) -> None:
        self._bar.advance(self._task, amount)

    def finish(self) -> None:
        self._bar.remove_task(self._task)


class _BarProgress:
    def __init__(self, bar: RichBar) -> None:
        self._bar = bar

    def task(
        self, description: str, total: int | None = None, *, unit: str = "records"
    ) -> ProgressTask:
        return _BarTask(self._bar, self._bar.add_task(description, total=total, unit=unit))


class _AmountColumn(ProgressColumn):
    """Bytes for downloads, "n/total" for records."""

    def __init__(self) -> None:
        super().__init__()
        self._bytes, self._count = DownloadColumn(), MofNCompleteColumn()

    def render(self, task: Task) -> RenderableType:
        column = self._bytes if task.fields.get("unit") == "bytes" else self._count
        return column.render(task)


def _progress_bar() -> RichBar:
    return RichBar(
        TextColumn("{task.description}"),
        BarColumn(),
        _AmountColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )


def _client(config: Settings) -> HttpClient:
    if config.log_level != "DEBUG":
        # One line per request would drown the summary (a sync fetches records one by one);
        # the commands report what happened themselves.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        logging.getLogger("deeptracy.advisories").setLevel(logging.WARNING)
    return HttpClient(timeout=config.http_timeout, retries=config.http_retries)


# ---- reports ----------------------------------------------------------------------------------


def _summarize(reports: list[RunReport], failures: list[tuple[str, str]], fmt: Format) -> int:
    skipped = [s for r in reports for s in r.skipped]
    if fmt is Format.JSON:
        _print_json(
            {
                "runs": [r.to_dict() for r in reports],
                "failures": [{"source": s, "message": m} for s, m in failures],
            }
        )
    else:
        table = Table("run", "new", "modified", "withdrawn", "unchanged", "skipped")
        table.add_column("source", overflow="fold")
        for r in reports:
            table.add_row(
                str(r.run_id),
                str(len(r.new)),
                str(len(r.modified)),
                str(len(r.withdrawn)),
                str(r.unchanged),
                str(len(r.skipped)),
                r.source or "",
            )
        _out().print(table)
        for r in reports:
            for note in r.notes:
                _out().print(f"  {note}")
    err = _err()
    warnings = [w for r in reports for w in r.warnings]
    if warnings and fmt is Format.TABLE:
        err.print(f"{len(warnings)} note(s) on imported records, e.g. {warnings[0]}", markup=False)
    for source, message in failures:
        err.print(f"error: {source}: {message}", markup=False)
    if skipped:
        shown = skipped if fmt is Format.JSON else skipped[:_MAX_LISTED]
        if fmt is Format.TABLE:
            for item in shown:
                err.print(f"skipped {item}", markup=False)
            if len(skipped) > len(shown):
                err.print(f"... and {len(skipped) - len(shown)} more", markup=False)
        err.print(
            f"{len(skipped)} input item(s) skipped; everything else was imported.", markup=False
        )
    if failures:
        return EXIT_ERROR
    return EXIT_SKIPPED if skipped else EXIT_OK


def _interrupted() -> NoReturn:
    typer.echo("interrupted: nothing was written, the database is as it was", err=True)
    raise typer.Exit(EXIT_INTERRUPTED)


# ---- commands ---------------------------------------------------------------------------------


@app.command("import")
def import_cmd(
    source: Annotated[
        str,
        typer.Argument(
            help="A directory of OSV JSON/YAML files, an all.zip, or a base URL laid out like "
            "the OSV export bucket (<BASE>/<ECOSYSTEM>/all.zip, modified_id.csv, <ID>.json)."
        ),
    ],
    ecosystem: Annotated[
        list[str] | None,
        typer.Option(
            "--ecosystem", "-e", help="For a URL: an ecosystem to follow (repeatable; default all)."
        ),
    ] = None,
    fmt: FormatOption = Format.TABLE,
) -> None:
    """Import every record of SOURCE in one transaction and remember SOURCE for `sync`."""
    config = settings()
    db = open_database(config)
    bar = _progress_bar() if is_terminal() and fmt is Format.TABLE else None
    progress: Progress = _BarProgress(bar) if bar else NULL_PROGRESS
    try:
        with _client(config) as client:
            if bar:
                bar.start()
            try:
                report = import_location(
                    db, source, client=client, ecosystems=ecosystem, progress=progress
                )
            finally:
                if bar:
                    bar.stop()
    except SourceError as exc:
        fail(f"{exc}; nothing was imported")
    except KeyboardInterrupt:
        _interrupted()
    raise typer.Exit(_summarize([report], [], fmt))


@app.command("sync")
def sync_cmd(
    source: Annotated[
        list[str] | None, typer.Argument(help="Remembered sources to sync (default: all).")
    ] = None,
    full: Annotated[
        bool, typer.Option("--full", help="Read all.zip even when an incremental sync is possible.")
    ] = False,
    fmt: FormatOption = Format.TABLE,
) -> None:
    """Bring every remembered source up to date; buckets incrementally by modified_id.csv."""
    config = settings()
    db = open_database(config)
    bar = _progress_bar() if is_terminal() and fmt is Format.TABLE else None
    progress: Progress = _BarProgress(bar) if bar else NULL_PROGRESS
    try:
        with _client(config) as client:
            if bar:
                bar.start()
            try:
                outcome = sync_sources(
                    db, client=client, locations=source, full=full, progress=progress
                )
            finally:
                if bar:
                    bar.stop()
    except SourceError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        _interrupted()
    if not outcome.reports and not outcome.failures:
        fail("no advisory source is remembered yet: run `deeptracy advisories import SOURCE`")
    raise typer.Exit(_summarize(list(outcome.reports), list(outcome.failures), fmt))


@app.command("status")
def status_cmd(fmt: FormatOption = Format.TABLE) -> None:
    """Records per ecosystem, remembered sources, and the last import or sync."""
    db = open_database(settings())
    with db.session() as session:
        current = store.status(session)
    if fmt is Format.JSON:
        _print_json(current.to_dict())
        return
    out = _out()
    table = Table("ecosystem", "records", "withdrawn", "packages", title="Advisories")
    for eco in current.ecosystems:
        table.add_row(eco.ecosystem, f"{eco.records:,}", f"{eco.withdrawn:,}", f"{eco.packages:,}")
    table.add_row("all", f"{current.records:,}", f"{current.withdrawn:,}", "", style="bold")
    out.print(table)
    sources = Table("kind", "ecosystems", "last run", "cursor", title="Sources")
    sources.add_column("source", overflow="fold")
    for info, cursors, run in current.sources:
        sources.add_row(
            info.kind,
            ", ".join(info.ecosystems or ()) or "all",
            f"#{run.id} {run.kind} {run.finished_at:%Y-%m-%d %H:%M} UTC"
            if run and run.finished_at
            else "",
            "\n".join(
                f"{c.ecosystem}: {c.mode} sync {c.synced_at:%Y-%m-%d %H:%M}, {c.listed:,} listed"
                for c in cursors
            ),
            info.location,
        )
    out.print(sources)
    if current.last_run:
        r = current.last_run
        out.print(
            f"last {r.kind}: run #{r.id} at {r.finished_at or r.started_at:%Y-%m-%d %H:%M:%S} "
            f"UTC: {r.new} new, {r.modified} modified, {r.withdrawn} withdrawn, "
            f"{r.skipped} skipped",
            markup=False,
        )
    else:
        out.print("nothing imported yet: run `deeptracy advisories import SOURCE`")


def _queries(target: list[str], declared: str | None) -> list[Query]:
    if target and target[0].startswith("pkg:"):
        if declared is not None:
            fail("--declared goes with ECOSYSTEM NAME, not with purls")
        try:
            return [Query.from_purl(p) for p in target]
        except PurlError as exc:
            fail(str(exc))
    if len(target) == 3 and declared is None:
        return [Query(target[0], target[1], target[2])]
    if len(target) != 2:
        fail("give purls (pkg:pypi/django@3.2.0 ...) or ECOSYSTEM NAME VERSION")
    return [Query(target[0], target[1], None, declared)]


def _print_results(results: list[QueryResult]) -> None:
    out, err = _out(), _err()
    for result in results:
        q = result.query
        label = f"{q.ecosystem} {q.name} {q.version or q.declared or '(any version)'}"
        if result.error:
            err.print(f"error: {label}: {result.error}", markup=False)
        if not result.matches:
            if not result.error:
                out.print(f"{label}: no known advisory", markup=False)
            continue
        table = Table(
            "advisory",
            "severity",
            "affected",
            "fixed in",
            "summary",
            title=label,
            title_justify="left",
        )
        for m in result.matches:
            severity = m.severity.value + (f" {m.score:.1f}" if m.score is not None else "")
            ids = "\n".join((m.advisory_id, *m.aliases))
            possible = "" if m.exact else " (possibly)"
            table.add_row(ids, severity, m.matched_range + possible, ", ".join(m.fixed), m.summary)
        out.print(table)


@app.command("query")
def query_cmd(
    target: Annotated[
        list[str],
        typer.Argument(
            help="purls (pkg:pypi/django@3.2.0 ...) or ECOSYSTEM NAME VERSION "
            "(or ECOSYSTEM NAME with --declared, or without a version for every advisory)."
        ),
    ],
    declared: Annotated[
        str | None,
        typer.Option(
            "--declared", help="A declared requirement instead of a version, e.g. '>=3,<4'."
        ),
    ] = None,
    fmt: FormatOption = Format.TABLE,
) -> None:
    """Which advisories affect these packages. Exits 1 when any matched, 2 when a query could
    not be answered completely."""
    queries = _queries(target, declared)
    db = open_database(settings())
    results = Matcher.load(db).match(queries)
    if fmt is Format.JSON:
        _print_json({"results": [r.to_dict() for r in results]})
    else:
        _print_results(results)
    if any(r.error for r in results):  # unanswerable, or advisories left undecided
        raise typer.Exit(EXIT_ERROR)
    raise typer.Exit(EXIT_FINDINGS if any(r.matches for r in results) else EXIT_OK)


@app.command("delta")
def delta_cmd(
    run: Annotated[int | None, typer.Argument(help="Run id (default: the latest run).")] = None,
    fmt: FormatOption = Format.TABLE,
) -> None:
    """What one import or sync changed: new, modified and withdrawn ids, packages touched."""
    db = open_database(settings())
    with db.session() as session:
        if run is None:
            latest = store.latest_runs(session, 1)
            if not latest:
                fail("no import or sync has run yet")
            run = latest[0].id
        delta = store.get_delta(session, run)
        problems = store.run_problems(session, run) if delta else []
    if delta is None:
        fail(f"no run #{run}")
    if fmt is Format.JSON:
        _print_json({**delta.to_dict(), "skipped": problems})
        return
    out = _out()
    r = delta.run
    out.print(
        f"run #{r.id} ({r.kind} of {r.source}): {len(delta.new)} new, {len(delta.modified)} "
        f"modified, {len(delta.withdrawn)} withdrawn, {r.unchanged} unchanged, "
        f"{r.skipped} skipped; {len(delta.packages)} packages touched",
        markup=False,
    )
    for title, ids in (
        ("new", delta.new),
        ("modified", delta.modified),
        ("withdrawn", delta.withdrawn),
    ):
        if ids:
            out.print(f"{title}: {', '.join(ids)}", markup=False)
