"""The terminal report: findings grouped by severity, then what was suppressed or not read."""

from __future__ import annotations

import io
from collections import Counter
from typing import ClassVar

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from deeptracy.analyzers.model import Finding
from deeptracy.reports.common import (
    STATE_LABELS,
    clean,
    fixed_text,
    location_text,
    main_alias,
    match_text,
    plural,
    summary_line,
    utc_text,
    version_text,
)
from deeptracy.reports.interface import Writer
from deeptracy.reports.model import SEVERITY_ORDER, Report
from deeptracy.severity import Severity

DEFAULT_WIDTH = 120  # when not on a terminal (CI logs, pipes)

_STYLE = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.NONE: "dim",
    Severity.UNKNOWN: "magenta",
}


class TableWriter(Writer):
    name: ClassVar[str] = "table"
    media_type: ClassVar[str] = "text/plain"
    extension: ClassVar[str] = "txt"

    def __init__(self, *, width: int | None = None, color: bool = False) -> None:
        self.width = width or DEFAULT_WIDTH
        self.color = color

    def render(self, report: Report) -> str:
        buffer = io.StringIO()
        console = Console(
            file=buffer,
            width=self.width,
            force_terminal=self.color,
            color_system="standard" if self.color else None,
            no_color=not self.color,
            markup=False,
            highlight=False,
            emoji=False,
            legacy_windows=False,
        )
        _render(console, report)
        return buffer.getvalue()


def _render(console: Console, report: Report) -> None:
    target = report.target
    where = [
        f"branch {target.branch}" if target.branch else "",
        f"commit {target.commit[:12]}" if target.commit else "",
    ]
    detail = ", ".join(clean(w) for w in where if w)
    console.print(
        Text(
            f"{report.tool_name} {report.tool_version} · {clean(target.name)}"
            + (f" ({detail})" if detail else "")
            + f" · {utc_text(report.generated_at)}"
        )
    )
    findings = report.sorted_findings()
    for severity in SEVERITY_ORDER:
        group = [f for f in findings if f.severity is severity]
        if group:
            console.print()
            console.print(Text(f"{severity.value} ({len(group)})", style=_STYLE[severity]))
            console.print(_table(group))

    console.print()
    scanned = plural(len(report.inventory.packages), "package")
    console.print(Text(f"{summary_line(report)} · {scanned} scanned", style="bold"))
    _suppressed(console, report)
    _expired(console, report)
    for analyzer in report.failed_analyzers:
        console.print(
            Text(f"Analyzer {clean(analyzer.name)} failed: {clean(analyzer.error or '')}", "red")
        )
    if report.errors:
        console.print(Text(f"{plural(len(report.errors), 'read error')}:", "yellow"))
        for error in sorted(report.errors):
            place = f"{error.path}:{error.line}" if error.line else error.path
            console.print(Text(f"  {clean(place)}: {clean(error.message)}"))


def _table(group: list[Finding]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=False)
    for header in ("Package", "Version", "Advisory", "Fixed in", "Location", "Match"):
        table.add_column(header, overflow="fold")
    for finding in group:
        alias = main_alias(finding)
        advisory = clean(finding.advisory_id) + (f"\n{clean(alias)}" if alias else "")
        table.add_row(
            Text(clean(finding.package.name)),
            Text(clean(version_text(finding.package))),
            Text(advisory),
            Text(clean(fixed_text(finding))),
            Text(clean(location_text(finding.package))),
            Text(match_text(finding), style="" if finding.exact else "italic"),
        )
    return table


def _suppressed(console: Console, report: Report) -> None:
    if not report.suppressed:
        return
    states = Counter(item.suppression.state for item in report.suppressed)
    parts = ", ".join(f"{n} {STATE_LABELS[state]}" for state, n in sorted(states.items()))
    console.print(Text(f"{len(report.suppressed)} suppressed ({parts}):"))
    for item in report.sorted_suppressed():
        f, s = item.finding, item.suppression
        expires = f"; expires {s.expires.isoformat()}" if s.expires else ""
        who = f" by {clean(s.who)}" if s.who else ""
        console.print(
            Text(
                f"  {clean(f.advisory_id)} {clean(f.package.name)} {clean(version_text(f.package))}"
                f" - {STATE_LABELS[s.state]} ({clean(s.source)}{who}): {clean(s.reason)}{expires}"
            )
        )


def _expired(console: Console, report: Report) -> None:
    if not report.expired_rules:
        return
    console.print(Text("Expired ignore rules, no longer applied:", "yellow"))
    for rule in report.expired_rules:
        date = rule.expires.isoformat() if rule.expires else "?"
        console.print(Text(f"  {clean(rule.describe())} expired {date}: {clean(rule.reason)}"))
