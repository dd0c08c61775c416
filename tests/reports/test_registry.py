from __future__ import annotations

import io
import json
from dataclasses import replace

import pytest
from tests.reports.sample import build_report

from deeptracy.reports.model import Report
from deeptracy.reports.registry import UnknownFormat, formats, get_writer
from deeptracy.reports.table import TableWriter


def test_every_format_is_registered() -> None:
    assert formats() == ("table", "json", "sarif", "cyclonedx", "markdown")


@pytest.mark.parametrize("name", ["table", "json", "sarif", "cyclonedx", "markdown"])
def test_writers_render_and_write_the_same_text(report: Report, name: str) -> None:
    writer = get_writer(name)
    assert writer.name == name
    text = writer.render(report)
    assert text.endswith("\n") and "PYSEC-2021-98" in text
    stream = io.StringIO()
    writer.write(report, stream)
    assert stream.getvalue() == text
    if name in {"json", "sarif", "cyclonedx"}:
        json.loads(text)


def test_options_and_names_in_any_case(report: Report) -> None:
    writer = get_writer(" Table ", width=70)
    assert isinstance(writer, TableWriter)
    assert max(len(line) for line in writer.render(report).splitlines()) <= 70


def test_unknown_format() -> None:
    with pytest.raises(UnknownFormat, match="unknown report format 'html'; choose one of: table,"):
        get_writer("html")


@pytest.mark.parametrize("name", ["table", "json", "sarif", "cyclonedx", "markdown"])
def test_text_that_cannot_be_encoded_does_not_break_a_writer(report: Report, name: str) -> None:
    # json.loads accepts a lone surrogate ("\ud800"), so advisory data can carry one.
    broken = replace(report.findings[0], summary="bad \ud800 text")
    hostile = build_report(findings=(broken, *report.findings[1:]))
    get_writer(name).render(hostile).encode("utf-8")  # would raise UnicodeEncodeError


def test_every_format_names_its_own_writer() -> None:
    from deeptracy.reports.registry import writer_class

    assert {name: writer_class(name).name for name in formats()} == {n: n for n in formats()}
