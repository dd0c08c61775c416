from __future__ import annotations

from dataclasses import replace

from tests.reports.sample import DJANGO_SQLI, GENERATED_AT, build_report

from deeptracy.inventory.model import FileError, Inventory, Location, Package
from deeptracy.reports.model import AnalyzerState, AnalyzerStatus, Report
from deeptracy.reports.table import TableWriter


def _line_with(text: str, needle: str) -> str:
    lines = [line for line in text.splitlines() if needle in line]
    assert len(lines) == 1, f"{needle!r} on {len(lines)} lines:\n{text}"
    return lines[0]


def test_rows_show_version_advisory_fix_and_location(report: Report) -> None:
    out = TableWriter().render(report)
    django = _line_with(out, "Django")
    for cell in ("3.2.0", "PYSEC-2021-98", "3.2.5", "requirements.txt:3", "exact"):
        assert cell in django
    lodash = _line_with(out, "lodash ")
    for cell in ("^4.17.0 (declared)", "GHSA-p6mc-m468-83gw", "4.17.19", "web/package.json:12"):
        assert cell in lodash
    assert "possibly affected" in lodash
    # The main alias goes under the advisory id, in the same column.
    alias_line = out.splitlines()[out.splitlines().index(django) + 1]
    assert alias_line.strip() == "CVE-2021-35042"
    assert alias_line.index("CVE-2021-35042") == django.index("PYSEC-2021-98")


def test_groups_are_ordered_by_severity_and_summarised(report: Report) -> None:
    out = TableWriter().render(report)
    assert out.index("CRITICAL (1)") < out.index("HIGH (1)") < out.index("MEDIUM (1)")
    assert "LOW (" not in out
    assert (
        "3 vulnerabilities (1 critical, 1 high, 1 medium) in 3 packages · 6 packages scanned" in out
    )
    assert out.splitlines()[0] == (
        "DeepTracy 0.1.0 · acme/shop (branch feature/login, commit 9fceb02d0ae5)"
        " · 2024-05-06T07:08:09Z"
    )


def test_suppressed_expired_and_unreadable_are_listed(report: Report) -> None:
    out = TableWriter().render(report)
    assert "2 suppressed (1 accepted risk, 1 not affected):" in out
    assert (
        "  PYSEC-2021-142 PyYAML 5.3 - not affected (.deeptracy.yml): "
        "we only call yaml.safe_load; expires 2030-01-01"
    ) in out
    assert (
        "  GHSA-g3rq-g295-4j3m jinja2 2.10 - accepted risk (triage by alice@example.com): "
        "dev-only templates"
    ) in out
    assert "Expired ignore rules, no longer applied:" in out
    assert "  CVE-2021-35042 expired 2024-01-31: waiting for 3.2.5" in out
    assert "  web/yarn.lock:40: invalid entry" in out


def test_failed_analyzer_is_reported() -> None:
    report = build_report(
        analyzers=(AnalyzerStatus("osv", AnalyzerState.FAILED, "advisory database is empty"),)
    )
    assert "Analyzer osv failed: advisory database is empty" in TableWriter().render(report)


def test_plain_text_without_a_terminal_respects_the_width(report: Report) -> None:
    default = TableWriter().render(report)
    assert "\x1b" not in default
    assert max(len(line) for line in default.splitlines()) <= 120
    narrow = TableWriter(width=60).render(report)
    assert max(len(line) for line in narrow.splitlines()) <= 60
    assert "…" not in narrow  # long cells fold onto more lines; nothing is cut


def test_color_only_when_asked(report: Report) -> None:
    assert "\x1b[" in TableWriter(color=True).render(report)


def test_hostile_text_is_neither_markup_nor_terminal_control() -> None:
    evil = Package(
        "npm",
        "[bold red]evil[/bold red]\x1b[2J",
        "1.0.0",
        locations=(Location("pkg/\x1b]8;;http://x\x07package.json", 2),),
    )
    report = build_report(
        findings=(replace(DJANGO_SQLI, package=evil, summary="\x1b[31mred"),),
        suppressed=(),
    )
    out = TableWriter(width=200).render(report)
    assert "\x1b" not in out and "\x07" not in out
    assert "[bold red]evil[/bold red]\ufffd[2J" in out


def test_empty_report() -> None:
    out = TableWriter().render(
        build_report(findings=(), suppressed=(), expired_rules=(), generated_at=GENERATED_AT)
    )
    assert "No known vulnerabilities in 6 packages · 6 packages scanned" in out
    assert "CRITICAL" not in out and "suppressed" not in out


def test_counts_read_errors_and_singular_packages() -> None:
    one = build_report(
        inventory=Inventory(
            packages=(DJANGO_SQLI.package,),
            errors=(FileError("a.lock", "bad"), FileError("b.lock", "worse", line=2)),
        ),
        findings=(DJANGO_SQLI,),
        suppressed=(),
        expired_rules=(),
    )
    out = TableWriter().render(one)
    assert "1 vulnerability (1 critical) in 1 package · 1 package scanned" in out
    assert "2 read errors:\n  a.lock: bad\n  b.lock:2: worse\n" in out
