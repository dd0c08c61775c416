"""poetry.lock, Pipfile.lock, pdm.lock, uv.lock and pylock.toml."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest
from tests.inventory.pyjs_support import errors, rows, scan, write

from deeptracy.inventory.extractors.python.pdm_lock import PdmLockExtractor
from deeptracy.inventory.extractors.python.pipfile_lock import PipfileLockExtractor
from deeptracy.inventory.extractors.python.poetry_lock import PoetryLockExtractor
from deeptracy.inventory.extractors.python.pylock import PylockExtractor
from deeptracy.inventory.extractors.python.pyproject import PyprojectExtractor
from deeptracy.inventory.extractors.python.uv_lock import UvLockExtractor
from deeptracy.inventory.interface import Extractor

TESTDATA = Path(__file__).parent / "testdata"


def notes(root: Path, extractor: Extractor) -> dict[str, str]:
    return {p.name: p.note for p in scan(root, extractor).packages if p.note}


def test_poetry_v1_categories_optional_and_git() -> None:
    inv = scan(TESTDATA / "poetry" / "v1", PoetryLockExtractor(), PyprojectExtractor())
    assert rows(inv) == [
        ("acme-common", None, True, None, 1),
        ("certifi", "2024.2.2", False, None, 16),
        ("iniconfig", "2.0.0", False, "dev", 24),
        ("pytest", "7.4.4", True, "dev", 32),
        ("requests", "2.31.0", True, None, 46),
        ("sentry-sdk", "1.40.6", True, "optional", 60),
    ]  # the pyproject.toml beside the lockfile is superseded by it
    assert inv.errors == ()
    assert notes(TESTDATA / "poetry" / "v1", PoetryLockExtractor()) == {
        "acme-common": "git source https://github.com/acme/common.git"
        "@8d3f0c1b2a9e7f6d5c4b3a2918f7e6d5c4b3a291 (version 2.0.0 in the lockfile)"
    }


def test_poetry_v2_groups_sources_and_direct_from_pep621() -> None:
    inv = scan(TESTDATA / "poetry" / "v2", PoetryLockExtractor())
    assert rows(inv) == [
        ("anyio", "4.3.0", True, None, 3),
        ("colorama", "0.4.6", False, "dev", 22),
        ("idna", "3.6", False, None, 34),
        ("local-tool", None, True, "dev", 45),
        ("private-lib", "1.2.0", True, None, 59),  # another index: still a release
        ("pytest", "8.1.1", True, "dev", 75),
        ("sniffio", "1.3.1", False, None, 89),
    ]
    assert inv.errors == ()
    assert notes(TESTDATA / "poetry" / "v2", PoetryLockExtractor()) == {
        "local-tool": "directory source tools/local-tool (version 0.1.0 in the lockfile)"
    }


def test_poetry_lock_without_pyproject_leaves_direct_unknown(tmp_path: Path) -> None:
    write(tmp_path, "poetry.lock", (TESTDATA / "poetry" / "v2" / "poetry.lock").read_text())
    inv = scan(tmp_path, PoetryLockExtractor())
    assert {p.direct for p in inv.packages} == {None}


def test_pipfile_lock_sections_sources_and_direct_from_pipfile() -> None:
    inv = scan(TESTDATA / "pipenv", PipfileLockExtractor())
    assert rows(inv) == [
        ("acme-sdk", None, True, None, 19),
        ("certifi", "2024.2.2", False, None, 23),
        ("flask", "3.0.2", True, None, 31),
        ("iniconfig", "2.0.0", False, "dev", 45),
        ("local-plugin", None, True, None, 39),
        ("pytest", "8.1.1", True, "dev", 52),
    ]
    assert inv.errors == ()
    assert notes(TESTDATA / "pipenv", PipfileLockExtractor()) == {
        "acme-sdk": "git source https://github.com/acme/sdk.git"
        "@4f2b9c1d8e7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c, version unknown from the files",
        "local-plugin": "editable path source ./plugins/local, version unknown from the files",
    }


def test_pdm_lock_groups_read_against_pyproject() -> None:
    inv = scan(TESTDATA / "pdm", PdmLockExtractor())
    assert rows(inv) == [
        ("acme-utils", None, True, None, 10),
        ("boto3", "1.34.60", True, "optional", 20),
        ("botocore", "1.34.60", False, "optional", 33),
        ("click", "8.1.7", True, None, 43),
        ("colorama", "0.4.6", False, None, 56),  # default and test: runtime
        ("pytest", "8.1.1", True, "dev", 67),
        ("ruff", "0.3.4", True, "dev", 77),
    ]
    assert inv.errors == ()
    assert notes(TESTDATA / "pdm", PdmLockExtractor()) == {
        "acme-utils": "git source https://github.com/acme/utils.git"
        "@a1b2c3d4e5f60718293a4b5c6d7e8f9012345678 (version 0.3.0 in the lockfile)"
    }


def test_uv_lock_workspace_members_extras_and_graph_scopes() -> None:
    inv = scan(TESTDATA / "uv", UvLockExtractor())
    assert rows(inv) == [
        ("anyio", "4.3.0", False, None, 45),
        ("certifi", "2024.2.2", False, None, 58),
        ("fastcrc", None, True, None, 66),  # a git dependency of the acme-core member
        ("h2", "4.1.0", False, None, 71),  # through httpx[http2]
        ("httpcore", "1.0.4", False, None, 79),
        ("httpx", "0.27.0", True, None, 90),
        ("idna", "3.6", False, None, 110),
        ("iniconfig", "2.0.0", False, "dev", 118),
        ("pydantic", "2.6.4", True, None, 126),
        ("pygments", "2.17.2", False, "optional", 137),
        ("pytest", "8.1.1", True, "dev", 145),
        ("rich", "13.7.1", True, "optional", 156),
        ("sniffio", "1.3.1", False, None, 167),
        ("typing-extensions", "4.10.0", False, None, 175),
    ]  # the workspace members acme-platform (virtual) and acme-core (editable) are not
    assert inv.errors == ()
    assert notes(TESTDATA / "uv", UvLockExtractor()) == {
        "fastcrc": "git source https://github.com/acme/fastcrc?rev=v0.3.1"
        "#c0ffee0123456789abcdef0123456789abcdef01 (version 0.3.1 in the lockfile)"
    }


def test_pylock_sources_markers_and_the_project_itself() -> None:
    inv = scan(TESTDATA / "pylock", PylockExtractor(), PyprojectExtractor())
    assert rows(inv) == [
        ("jinja2", "3.1.3", True, None, 13),
        ("markupsafe", "2.1.5", False, None, 20),
        ("pytest", "8.1.1", True, "dev", 26),  # 'dev' in dependency_groups
        ("reportlab", None, True, None, 33),
        ("weasyprint-fork", None, True, None, 38),
    ]  # acme-reports is the locked project (an editable "." directory)
    assert inv.errors == ()
    assert notes(TESTDATA / "pylock", PylockExtractor()) == {
        "reportlab": "archive source https://downloads.example.com/reportlab-4.1.0.tar.gz"
        " (version 4.1.0 in the lockfile)",
        "weasyprint-fork": "git source https://github.com/acme/weasyprint.git"
        "@b6b7c3a1e0f9d8c7b6a5f4e3d2c1b0a9f8e7d6c5 (version 61.2 in the lockfile)",
    }


def test_named_pylock_files() -> None:
    wants = PylockExtractor().wants
    assert wants(PurePosixPath("pylock.toml"))
    assert wants(PurePosixPath("svc/pylock.prod.toml"))
    assert not wants(PurePosixPath("pylock.a.b.toml"))
    assert not wants(PurePosixPath("mypylock.toml"))


@pytest.mark.parametrize(
    ("filename", "extractor", "text", "message"),
    [
        (
            "poetry.lock",
            PoetryLockExtractor(),
            '[metadata]\nlock-version = "3.0"\n',
            "unsupported lock-version '3.0'",
        ),
        (
            "poetry.lock",
            PoetryLockExtractor(),
            "package = 5\n",
            "'package' is number, not an array of tables",
        ),
        ("poetry.lock", PoetryLockExtractor(), "[[package]\nname = 'x'\n", "invalid TOML"),
        ("uv.lock", UvLockExtractor(), "version = 2\n", "unsupported uv.lock version 2"),
        (
            "uv.lock",
            UvLockExtractor(),
            "a = " + "[" * 5000 + "]" * 5000,
            "TOML nested too deeply to be read",
        ),
        ("uv.lock", UvLockExtractor(), 'version = "1"\n', "unsupported uv.lock version '1'"),
        (
            "pdm.lock",
            PdmLockExtractor(),
            "[[package]]\nname = 'x'\n",
            "unsupported metadata.lock_version None",
        ),
        (
            "pylock.toml",
            PylockExtractor(),
            'lock-version = "2.0"\n',
            "unsupported lock-version '2.0'",
        ),
        (
            "Pipfile.lock",
            PipfileLockExtractor(),
            '{"_meta": {}}',
            "neither 'default' nor 'develop'",
        ),
        (
            "Pipfile.lock",
            PipfileLockExtractor(),
            '{"default": {',
            "invalid JSON at line 1 column 14",
        ),
    ],
)
def test_unreadable_lockfiles(
    tmp_path: Path, filename: str, extractor: Extractor, text: str, message: str
) -> None:
    write(tmp_path, filename, text)
    inv = scan(tmp_path, extractor)
    assert inv.packages == ()
    [(path, line, got)] = errors(inv)
    assert (path, line) == (filename, None)
    assert got.startswith(f"{extractor.name}: ")
    assert message in got


def test_wrong_typed_entries_are_warnings(tmp_path: Path) -> None:
    write(
        tmp_path,
        "poetry.lock",
        '[[package]]\nname = "ok"\nversion = "1.0"\n\n[[package]]\nname = "noversion"\n\n'
        '[metadata]\nlock-version = "2.0"\n',
    )
    write(
        tmp_path,
        "uv/uv.lock",
        'version = 1\n\n[[package]]\nname = "a"\nversion = "1.0"\n'
        'source = { registry = "https://pypi.org/simple" }\n'
        'dependencies = ["not-a-table", { name = 5 }]\n\n[[package]]\nname = 7\n',
    )
    write(tmp_path, "pipenv/Pipfile.lock", '{"default": {"a": "==1", "b": {"version": "==2.0"}}}')
    inv = scan(tmp_path, PoetryLockExtractor(), UvLockExtractor(), PipfileLockExtractor())
    assert [(p.source, p.name, p.version) for p in inv.packages] == [
        ("pipenv/Pipfile.lock", "b", "2.0"),
        ("poetry.lock", "ok", "1.0"),
        ("uv/uv.lock", "a", "1.0"),
    ]
    assert errors(inv) == [
        ("pipenv/Pipfile.lock", None, "default['a'] is string; skipped"),
        ("poetry.lock", 5, "package[1] has no name and version strings; skipped"),
        ("uv/uv.lock", 9, "package[1] has no name and version strings"),
    ]


def test_a_broken_pyproject_beside_a_lockfile_is_reported(tmp_path: Path) -> None:
    write(tmp_path, "poetry.lock", '[[package]]\nname = "a"\nversion = "1.0"\n')
    write(tmp_path, "pyproject.toml", "[project\n")
    inv = scan(tmp_path, PoetryLockExtractor(), PyprojectExtractor())
    assert [(p.name, p.direct) for p in inv.packages] == [("a", None)]
    [(path, line, message)] = errors(inv)
    assert (path, line) == ("pyproject.toml", None)
    assert message.startswith("not valid TOML (")
