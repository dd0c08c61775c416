from __future__ import annotations

import re
from dataclasses import replace
from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt
from tests.reports.sample import DJANGO_SQLI, build_report

from deeptracy.inventory.model import Location, Package
from deeptracy.reports import markdown
from deeptracy.reports.markdown import MarkdownWriter, escape
from deeptracy.reports.model import Report

# GitHub renders CommonMark with tables and strikethrough; markdown-it-py (a dependency of
# rich) renders the same dialect closely enough to see what the markdown becomes.
RENDERER = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def test_heading_tables_and_links(report: Report) -> None:
    out = MarkdownWriter().render(report)
    lines = out.splitlines()
    assert (
        lines[0] == "## DeepTracy: 3 vulnerabilities (1 critical, 1 high, 1 medium) in 3 packages"
    )
    assert lines[2].startswith("Target: acme/shop · branch feature/login · commit 9fceb02d")
    assert out.index("### CRITICAL (1)") < out.index("### HIGH (1)") < out.index("### MEDIUM (1)")
    django = next(line for line in lines if line.startswith("| Django |"))
    cells = [c.strip() for c in django.strip("|").split(" | ")]
    assert cells[0] == "Django"
    assert cells[1] == "3.2.0"
    assert cells[2].startswith(
        "[PYSEC-2021-98](https://osv.dev/vulnerability/PYSEC-2021-98) "
        "([CVE-2021-35042](https://nvd.nist.gov/vuln/detail/CVE-2021-35042))"
    )
    assert cells[3] == "3.2.5"
    assert cells[4] == "requirements.txt:3"
    lodash = next(line for line in lines if line.startswith("| lodash |"))
    assert "^4.17.0 (declared) · possibly affected" in lodash


def test_rendered_tables_have_their_columns(report: Report) -> None:
    html = RENDERER.render(MarkdownWriter().render(report))
    tags = [t for t, _ in _tags(html)]
    assert tags.count("table") == 4  # three severities and the suppressed ones
    links = [a["href"] for t, a in _tags(html) if t == "a"]
    assert "https://github.com/advisories/GHSA-p6mc-m468-83gw" in links


def test_suppressed_are_collapsed(report: Report) -> None:
    out = MarkdownWriter().render(report)
    details = out[out.index("<details>") : out.index("</details>")]
    assert "<summary>2 suppressed</summary>" in details
    assert "| PyYAML | 5.3 |" in details
    assert "not affected | we only call yaml.safe\\_load (.deeptracy.yml) | 2030-01-01 |" in details
    assert "accepted risk | dev-only templates (triage · alice@\u200bexample.com) |" in details
    assert "- Expired ignore rule CVE-2021-35042 (2024-01-31) no longer applies" in out
    assert "- Could not read web/yarn.lock:40: invalid entry" in out


HOSTILE = (
    "<img src=x onerror=alert(1)> [click](javascript:alert(1)) ![pixel](https://t.example/p.png)"
    " a | b `code` **bold** ~~gone~~ <script>x</script> &amp; @octocat\n# heading"
)


def test_hostile_advisory_text_stays_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(markdown, "SUMMARY_LIMIT", 1000)  # the whole text reaches the cell
    evil_pkg = Package("npm", "<b>pkg</b>|x", "1.0.0", locations=(Location("a|b.json", 1),))
    finding = replace(DJANGO_SQLI, package=evil_pkg, summary=HOSTILE)
    out = MarkdownWriter().render(build_report(findings=(finding,), suppressed=()))
    html = RENDERER.render(out)
    tags = _tags(html)
    assert not [
        t for t, _ in tags if t in {"img", "script", "b", "strong", "code", "s", "del", "h1"}
    ]
    hrefs = [a.get("href") or "" for t, a in tags if t == "a"]
    assert hrefs and all(h.startswith("https://") for h in hrefs)
    assert not any("javascript" in h or "t.example" in h for h in hrefs)
    # One table row with exactly five cells: '|' in text did not split it.
    (row,) = [r for r in re.findall(r"<tr>(.*?)</tr>", html, re.S) if "<td>" in r]
    assert row.count("<td>") == 5
    # The text is still there for a reader, as text.
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "@\u200boctocat" in html
    assert "\n# heading" not in out


def test_long_summaries_are_shortened() -> None:
    finding = replace(DJANGO_SQLI, summary="x" * 300)
    out = MarkdownWriter().render(build_report(findings=(finding,), suppressed=()))
    assert "<br>" + "x" * 119 + "…" in out
    assert "x" * 120 not in out


def test_escape() -> None:
    assert escape("a|b") == "a\\|b"
    assert escape("<i>") == "&lt;i&gt;"
    assert escape("[x](y)") == "\\[x\\](y)"
    assert escape("line\nbreak\x1b[1m") == "line break\ufffd\\[1m"


def test_empty_report() -> None:
    out = MarkdownWriter().render(build_report(findings=(), suppressed=(), expired_rules=()))
    assert out.startswith("## DeepTracy: No known vulnerabilities in 6 packages\n")
    assert "<details>" not in out and "###" not in out


def test_deterministic(report: Report) -> None:
    assert MarkdownWriter().render(report) == MarkdownWriter().render(
        build_report(findings=tuple(reversed(report.findings)))
    )
