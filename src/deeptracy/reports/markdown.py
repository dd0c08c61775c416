"""GitHub-flavoured markdown for CI job summaries and pull-request comments.

Advisory summaries, package names and paths come from outside (advisory databases, the
scanned repository), so every such string is escaped: HTML cannot open a tag, markdown cannot
make a link or an image, a table cell cannot be split, and @mentions cannot ping anyone.
"""

from __future__ import annotations

import re
from typing import ClassVar

from deeptracy.analyzers.model import Finding
from deeptracy.reports.common import (
    STATE_LABELS,
    advisory_url,
    clean,
    fixed_text,
    location_text,
    main_alias,
    plural,
    summary_line,
    utc_text,
    version_text,
)
from deeptracy.reports.interface import Writer
from deeptracy.reports.model import SEVERITY_ORDER, Report

SUMMARY_LIMIT = 120  # characters of an advisory summary shown in a table cell

# Characters that make inline markup anywhere in a line (emphasis, code, links, images, cell
# breaks, strikethrough) are backslash-escaped; '<', '>', '&' and '"' become entities so no HTML
# tag or entity survives. Untrusted text never starts a line (clean() removes line breaks), so
# line-start markup (headings, lists, quotes) cannot be triggered.
_MARKUP = re.compile(r"([\\`*_\[\]!|~])")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}


def escape(text: str) -> str:
    """Untrusted text as literal markdown inside a table cell."""
    text = clean(text)
    text = "".join(_ENTITIES.get(ch, ch) for ch in text)
    text = _MARKUP.sub(r"\\\1", text)
    return text.replace("@", "@\u200b")  # a zero-width space keeps GitHub from mentioning


def _link(label: str, url: str) -> str:
    # URLs are built here from percent-encoded ids; the label is escaped like any text.
    return f"[{escape(label)}]({url})"


class MarkdownWriter(Writer):
    name: ClassVar[str] = "markdown"
    media_type: ClassVar[str] = "text/markdown"
    extension: ClassVar[str] = "md"

    def render(self, report: Report) -> str:
        out: list[str] = [f"## {report.tool_name}: {summary_line(report)}", ""]
        out += [_target_line(report), ""]
        findings = report.sorted_findings()
        for severity in SEVERITY_ORDER:
            group = [f for f in findings if f.severity is severity]
            if not group:
                continue
            out += [f"### {severity.value} ({len(group)})", ""]
            out += [
                "| Package | Version | Advisory | Fixed in | Location |",
                "| --- | --- | --- | --- | --- |",
            ]
            out += [_row(f) for f in group]
            out.append("")
        out += _suppressed(report)
        out += _problems(report)
        return "\n".join(out).rstrip("\n") + "\n"


def _target_line(report: Report) -> str:
    t = report.target
    parts = [f"Target: {escape(t.name)}"]
    if t.branch:
        parts.append(f"branch {escape(t.branch)}")
    if t.commit:
        parts.append(f"commit {escape(t.commit)}")
    parts.append(f"{plural(len(report.inventory.packages), 'package')} scanned")
    parts.append(f"{escape(report.tool_name)} {escape(report.tool_version)}")
    parts.append(utc_text(report.generated_at))
    return " · ".join(parts)


def _advisory_cell(finding: Finding) -> str:
    cell = _link(finding.advisory_id, advisory_url(finding.advisory_id))
    alias = main_alias(finding)
    if alias:
        cell += f" ({_link(alias, advisory_url(alias))})"
    summary = clean(finding.summary)
    if len(summary) > SUMMARY_LIMIT:
        summary = summary[: SUMMARY_LIMIT - 1].rstrip() + "…"
    if summary:
        cell += f"<br>{escape(summary)}"
    return cell


def _row(finding: Finding) -> str:
    version = escape(version_text(finding.package))
    if not finding.exact:
        version += " · possibly affected"
    cells = (
        escape(finding.package.name),
        version,
        _advisory_cell(finding),
        escape(fixed_text(finding)),
        escape(location_text(finding.package)),
    )
    return "| " + " | ".join(cells) + " |"


def _suppressed(report: Report) -> list[str]:
    if not report.suppressed:
        return []
    out = [
        "<details>",
        f"<summary>{len(report.suppressed)} suppressed</summary>",
        "",
        "| Package | Version | Advisory | State | Reason | Expires |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for item in report.sorted_suppressed():
        f, s = item.finding, item.suppression
        reason = escape(s.reason) + f" ({escape(s.source)}{' · ' + escape(s.who) if s.who else ''})"
        out.append(
            "| "
            + " | ".join(
                (
                    escape(f.package.name),
                    escape(version_text(f.package)),
                    _link(f.advisory_id, advisory_url(f.advisory_id)),
                    STATE_LABELS[s.state],
                    reason,
                    s.expires.isoformat() if s.expires else "",
                )
            )
            + " |"
        )
    out += ["", "</details>", ""]
    return out


def _problems(report: Report) -> list[str]:
    out: list[str] = []
    for rule in report.expired_rules:
        date = rule.expires.isoformat() if rule.expires else ""
        out.append(
            f"- Expired ignore rule {escape(rule.describe())} ({date}) no longer applies: "
            f"{escape(rule.reason)}"
        )
    for analyzer in report.failed_analyzers:
        out.append(f"- Analyzer {escape(analyzer.name)} failed: {escape(analyzer.error or '')}")
    for error in sorted(report.errors):
        where = f"{error.path}:{error.line}" if error.line else error.path
        out.append(f"- Could not read {escape(where)}: {escape(error.message)}")
    return [*out, ""] if out else []
