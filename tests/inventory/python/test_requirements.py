"""pip requirements files: includes, constraints, hashes, markers, URLs and pip-compile."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest
from tests.inventory.pyjs_support import errors, scan, write

from deeptracy.inventory.extractors.python.requirements import RequirementsTxtExtractor
from deeptracy.inventory.model import Location

TESTDATA = Path(__file__).parent / "testdata" / "requirements"


def test_includes_constraints_hashes_markers_and_locations() -> None:
    inv = scan(TESTDATA / "app", RequirementsTxtExtractor())
    got = [(p.source, p.name, p.version, p.declared, p.locations[0].line) for p in inv.packages]
    assert got == [
        ("common.txt", "attrs", "23.1.0", None, 2),
        ("common.txt", "PyYAML", "6.0.1", ">=6.0", 3),  # pinned by constraints.txt
        ("requirements.txt", "billing-utils", None, None, 14),
        ("requirements.txt", "celery", "5.3.6", None, 10),  # hashes on continuation lines
        ("requirements.txt", "Django", "4.2.11", "<5.0,>=4.2", 8),
        ("requirements.txt", "fastjson", None, None, 17),
        ("requirements.txt", "gunicorn", "21.2.0", "", 13),
        ("requirements.txt", "internal-sdk", None, None, 15),
        ("requirements.txt", "legacy-pkg", None, None, 16),
        ("requirements.txt", "numpy", None, "==1.26.*", 19),  # a wildcard is a range
        ("requirements.txt", "requests", "2.31.0", None, 9),  # extras and a marker
        ("requirements/dev.txt", "coverage", None, ">=7.4", 2),
        ("requirements/dev.txt", "pytest", "8.1.1", None, 1),
    ]  # urllib3 is only constrained, never required: pip would not install it
    django = next(p for p in inv.packages if p.name == "Django")
    assert django.locations == (
        Location("requirements.txt", 8),
        Location("constraints.txt", 1),
    )
    assert django.purl == "pkg:pypi/django@4.2.11"
    notes = {p.name: p.note for p in inv.packages if p.note}
    assert notes == {
        "billing-utils": "editable VCS requirement, version unknown from the files: "
        "git+https://github.com/example/billing-utils.git@v1.4.0#egg=billing-utils",
        "internal-sdk": "direct reference, version unknown from the files: "
        "git+https://github.com/example/internal-sdk.git@3f1c2a7",
        "legacy-pkg": "local path requirement, version unknown from the files: "
        "./vendor/legacy_pkg-0.9.1-py3-none-any.whl",
        "fastjson": "URL requirement, version unknown from the files: "
        "https://files.example.com/sdists/fastjson-2.1.0.tar.gz",
    }
    assert {p.direct for p in inv.packages} == {None}  # nothing tells, without pip-compile
    assert errors(inv) == [
        (
            "common.txt",
            4,
            "include cycle requirements.txt -> common.txt -> requirements.txt; not read again",
        ),
        (
            "requirements.txt",
            18,
            "cannot name the package of editable local path requirement './tools/cli' "
            "(no #egg=name); not reported",
        ),
        ("requirements.txt", 20, "unknown option '--unknown-flag'; line ignored"),
    ]


def test_pip_compile_annotations_tell_direct_from_transitive() -> None:
    inv = scan(TESTDATA / "compiled", RequirementsTxtExtractor())
    assert [(p.name, p.version, p.direct, p.locations[0].line) for p in inv.packages] == [
        ("certifi", "2024.2.2", False, 7),
        ("charset-normalizer", "3.3.2", False, 11),
        ("flask", "3.0.2", True, 14),
        ("idna", "3.6", True, 17),  # via -r requirements.in and requests
        ("requests", "2.31.0", True, 22),
        ("urllib3", "2.2.1", False, 25),
    ]
    assert inv.errors == ()


def test_inline_annotation_and_option_forms(tmp_path: Path) -> None:
    write(tmp_path, "base.txt", "six==1.16.0\n")
    write(
        tmp_path,
        "requirements.txt",
        "--requirement=base.txt\n"
        "-ibase-index\n"
        "click==8.1.7  # via -r requirements.in\n"
        "colorama==0.4.6  # via click\n"
        "--editable=git+https://github.com/x/y.git#egg=y-lib[cli]\n"
        "z-pkg@ https://example.com/z_pkg-1.0-py3-none-any.whl\n",
    )
    inv = scan(tmp_path, RequirementsTxtExtractor())
    assert [(p.source, p.name, p.version, p.direct) for p in inv.packages] == [
        ("base.txt", "six", "1.16.0", None),
        ("requirements.txt", "click", "8.1.7", True),
        ("requirements.txt", "colorama", "0.4.6", False),
        ("requirements.txt", "y-lib", None, None),
        ("requirements.txt", "z-pkg", None, None),
    ]
    assert inv.errors == ()


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("flask>=>2\n", 1, "cannot read requirement 'flask>=>2'"),
        ('-r "unterminated\n', 1, "cannot read option line '-r \"unterminated'"),
        ("-r missing.txt\n", 1, "cannot read included file 'missing.txt': 'missing.txt' does not"),
        ("-r ../../outside.txt\n", 1, "leads outside the scanned tree; not read"),
        ("-r https://example.com/reqs.txt\n", 1, "remote requirements file"),
        ("-e\n", 1, "-e without a requirement"),
    ],
)
def test_bad_lines_are_warnings_and_the_rest_is_read(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    write(tmp_path, "repo/requirements.txt", text + "attrs==23.1.0\n")
    write(tmp_path, "outside.txt", "secret==1.0\n")
    inv = scan(tmp_path / "repo", RequirementsTxtExtractor())
    assert [(p.name, p.version) for p in inv.packages] == [("attrs", "23.1.0")]
    [(path, got_line, got)] = errors(inv)
    assert (path, got_line) == ("requirements.txt", line)
    assert message in got


def test_a_file_that_is_not_utf8_is_a_file_error(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_bytes(b"flask==3.0.0\n\xff\xfe\n")
    inv = scan(tmp_path, RequirementsTxtExtractor())
    assert inv.packages == ()
    assert errors(inv) == [
        ("requirements.txt", None, "python/requirements: not UTF-8 text (byte 13)")
    ]


def test_which_files_are_requirements() -> None:
    wants = RequirementsTxtExtractor().wants
    assert wants(PurePosixPath("requirements.txt"))
    assert wants(PurePosixPath("svc/requirements-dev.txt"))
    assert wants(PurePosixPath("test-requirements.txt"))
    assert wants(PurePosixPath("requirements/prod.txt"))
    assert not wants(PurePosixPath("notes.txt"))
    assert not wants(PurePosixPath("docs/requirements.in"))
