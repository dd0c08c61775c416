"""pyproject.toml: PEP 621, dependency groups, Poetry; declared only, superseded by locks."""

from __future__ import annotations

from pathlib import Path

from tests.inventory.pyjs_support import errors, scan, write

from deeptracy.inventory.extractors.python.pyproject import PyprojectExtractor
from deeptracy.inventory.extractors.python.uv_lock import UvLockExtractor

TESTDATA = Path(__file__).parent / "testdata"


def manifest_rows(root: Path) -> list[tuple[object, ...]]:
    inv = scan(root, PyprojectExtractor())
    assert inv.errors == ()
    return [
        (
            p.name,
            p.declared,
            p.scope.value if p.scope else None,
            [loc.line for loc in p.locations],
            p.note,
        )
        for p in inv.packages
    ]


def test_pep621_optional_dependencies_and_groups() -> None:
    assert manifest_rows(TESTDATA / "pyproject" / "pep621") == [
        (
            "acme-auth",
            None,
            None,
            [14],
            "direct reference, version unknown from the files: "
            "git+https://github.com/acme/auth.git@v3.1.0",
        ),
        ("fastapi", "<1,>=0.110", None, [10], None),
        ("psycopg", ">=3.1", "optional", [18], None),
        ("pydantic", "~=2.6", None, [11], None),
        ("pytest", ">=8", "dev", [22, 23], None),  # in two groups
        ("pytest-cov", "", "dev", [22], None),
        ("redis", ">=5", "optional", [19], None),
        ("ruff", "==0.3.4", "dev", [23], None),  # a pin, still only declared
        ("SQLAlchemy", "==2.0.28", None, [12], None),
        ("uvicorn", "", None, [13], None),
    ]  # "acme-billing[postgres]" is the project itself; build requirements are not read


def test_poetry_dependencies_groups_and_sources() -> None:
    assert manifest_rows(TESTDATA / "pyproject" / "poetry") == [
        (
            "acme-common",
            None,
            None,
            [15],
            "git https://github.com/acme/common.git, version unknown from the files",
        ),
        ("boto3", "1.34.50", None, [10], None),
        ("celery", "^5.3", None, [9], None),
        (
            "local-helpers",
            None,
            None,
            [16],
            "path ../helpers, version unknown from the files",
        ),
        ("mkdocs", "^1.5", "dev", [30], None),
        ("mypy", "*", "dev", [24], None),
        ("numpy", "<1.25", None, [11], None),  # one constraint per Python version
        ("numpy", "^1.26", None, [11], None),
        ("pytest", "^8.0", "dev", [23], None),
        ("sentry-sdk", "^1.40", "optional", [17], None),
    ]  # "python" is the interpreter, not a package


def test_all_declared_dependencies_are_direct() -> None:
    inv = scan(TESTDATA / "pyproject" / "poetry", PyprojectExtractor())
    assert {(p.direct, p.version) for p in inv.packages} == {(True, None)}


def test_a_lockfile_beside_it_supersedes_it_but_not_elsewhere() -> None:
    inv = scan(TESTDATA / "uv", UvLockExtractor(), PyprojectExtractor())
    assert {p.source for p in inv.packages} == {"uv.lock", "packages/core/pyproject.toml"}
    assert [(p.name, p.declared) for p in inv.packages if p.source != "uv.lock"] == [
        ("fastcrc", ""),
        ("pydantic", ">=2.6"),
    ]


def test_bad_requirement_strings_are_warnings(tmp_path: Path) -> None:
    write(
        tmp_path,
        "pyproject.toml",
        '[project]\nname = "x"\ndependencies = [\n  "ok>=1",\n  "not a requirement!",\n  7,\n]\n'
        '[project.optional-dependencies]\nextra = "not-a-list"\n',
    )
    inv = scan(tmp_path, PyprojectExtractor())
    assert [(p.name, p.declared) for p in inv.packages] == [("ok", ">=1")]
    [(path, line, message)] = errors(inv)
    assert (path, line) == ("pyproject.toml", 5)
    # The reason after the colon is packaging's own words.
    assert message.startswith(
        "project.dependencies: cannot read requirement 'not a requirement!': Expected "
    )


def test_invalid_toml_is_a_file_error(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", '[project]\nname = "x"\ndependencies = ["a",\n')
    inv = scan(tmp_path, PyprojectExtractor())
    assert inv.packages == ()
    [(path, line, message)] = errors(inv)
    assert (path, line) == ("pyproject.toml", None)
    assert message.startswith("python/pyproject: invalid TOML: ")
    assert message == "python/pyproject: invalid TOML: Invalid value (at end of document)"
