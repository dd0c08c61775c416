"""`deeptracy advisories ...` and `deeptracy serve` as users run them: output and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.support.cli import run_cli
from tests.support.osv_records import affected, osv, rng, write_dir

from deeptracy.cli.serve import parse_address
from deeptracy.store.db import Database

RECORDS = [
    osv(
        "PYSEC-2022-1",
        affected("PyPI", "django", rng(("introduced", "3.0"), ("fixed", "3.2.13"))),
        aliases=["CVE-2022-28346"],
        severity=[{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
        summary="SQL injection in QuerySet.annotate()",
    ),
    osv(
        "GO-2022-1",
        affected(
            "Go", "golang.org/x/net", rng(("introduced", "0"), ("fixed", "0.7.0"), type="SEMVER")
        ),
    ),
]


def env(database: Database) -> dict[str, str]:
    return {"DATABASE_URI": database.uri}


@pytest.fixture
def imported(database: Database, tmp_path: Path) -> Database:
    result = run_cli(
        "advisories", "import", str(write_dir(tmp_path / "osv", RECORDS)), env=env(database)
    )
    assert result.returncode == 0, result.stderr
    return database


def test_import_prints_a_summary_and_exits_1_when_it_skipped_input(
    database: Database, tmp_path: Path
) -> None:
    root = write_dir(tmp_path / "osv", RECORDS)
    (root / "bad.json").write_text('{"id": "X-1"}')
    result = run_cli("advisories", "import", str(root), env=env(database))
    assert result.returncode == 1
    assert "skipped X-1 (" in result.stderr and "bad.json): modified: missing" in result.stderr
    assert "1 input item(s) skipped; everything else was imported." in result.stderr
    assert "│ 2   │" in result.stdout or " 2 " in result.stdout

    again = run_cli("advisories", "import", str(root), "--format", "json", env=env(database))
    assert again.returncode == 1
    (run,) = json.loads(again.stdout)["runs"]
    assert (run["kind"], run["new"], run["modified"], run["unchanged"]) == ("import", 0, 0, 2)
    assert run["skipped"] == [
        {"where": str(root.resolve() / "bad.json"), "id": "X-1", "message": "modified: missing"}
    ]


def test_import_of_something_unreadable_exits_2_and_writes_nothing(
    database: Database, tmp_path: Path
) -> None:
    (tmp_path / "all.zip").write_bytes(b"not a zip")
    result = run_cli("advisories", "import", str(tmp_path / "all.zip"), env=env(database))
    assert result.returncode == 2
    assert (
        "is not a readable zip archive" in result.stderr and "nothing was imported" in result.stderr
    )
    status = run_cli("advisories", "status", "--format", "json", env=env(database))
    assert json.loads(status.stdout)["last_run"] is None


def test_sync_without_sources_says_what_to_do(database: Database) -> None:
    result = run_cli("advisories", "sync", env=env(database))
    assert result.returncode == 2
    assert "no advisory source is remembered yet" in result.stderr


def test_sync_of_remembered_sources(imported: Database) -> None:
    result = run_cli("advisories", "sync", "--format", "json", env=env(imported))
    assert result.returncode == 0, result.stderr
    (run,) = json.loads(result.stdout)["runs"]
    assert (run["kind"], run["unchanged"]) == ("sync", 2)


def test_status(imported: Database) -> None:
    result = run_cli("advisories", "status", "--format", "json", env=env(imported))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [(e["ecosystem"], e["records"]) for e in data["ecosystems"]] == [("Go", 1), ("PyPI", 1)]
    assert data["sources"][0]["kind"] == "directory"
    assert data["last_run"]["new"] == 2
    table = run_cli("advisories", "status", env=env(imported))
    assert "PyPI" in table.stdout and "last import: run #1" in table.stdout


def test_query_by_purl_prints_json_and_exits_1_on_findings(imported: Database) -> None:
    result = run_cli(
        "advisories", "query", "pkg:pypi/django@3.2.0", "pkg:pypi/django@4.0", "--format", "json",
        env=env(imported),
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    vulnerable, clean = json.loads(result.stdout)["results"]
    assert vulnerable == {
        "query": {
            "ecosystem": "PyPI",
            "name": "django",
            "version": "3.2.0",
            "declared": None,
            "purl": "pkg:pypi/django@3.2.0",
        },
        "error": None,
        "undecided": [],
        "vulns": [
            {
                "id": "PYSEC-2022-1",
                "aliases": ["CVE-2022-28346"],
                "summary": "SQL injection in QuerySet.annotate()",
                "severity": "CRITICAL",
                "score": 9.8,
                "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                "fixed": ["3.2.13"],
                "matched_range": ">=3.0, <3.2.13",
                "exact": True,
                "admits_unaffected": None,
                "modified": "2024-01-01T00:00:00Z",
            }
        ],
    }
    assert clean["vulns"] == [] and clean["error"] is None


def test_query_forms_and_exit_codes(imported: Database) -> None:
    table = run_cli("advisories", "query", "Go", "golang.org/x/net", "v0.6.0", env=env(imported))
    assert table.returncode == 1 and "GO-2022-1" in table.stdout and "0.7.0" in table.stdout
    clean = run_cli("advisories", "query", "PyPI", "django", "4.0", env=env(imported))
    assert clean.returncode == 0 and "no known advisory" in clean.stdout
    declared = run_cli(
        "advisories", "query", "PyPI", "django", "--declared", ">=3.2,<4", "--format", "json",
        env=env(imported),
    )  # fmt: skip
    (result,) = json.loads(declared.stdout)["results"]
    assert declared.returncode == 1
    assert (result["vulns"][0]["exact"], result["vulns"][0]["admits_unaffected"]) == (False, True)
    invalid = run_cli("advisories", "query", "PyPI", "django", "x.y", env=env(imported))
    assert invalid.returncode == 2 and "'x.y' is not a valid PEP 440 version" in invalid.stderr
    usage = run_cli("advisories", "query", "PyPI", env=env(imported))
    assert usage.returncode == 2 and "give purls" in usage.stderr
    bad_purl = run_cli("advisories", "query", "pkg:nope/x@1", env=env(imported))
    assert bad_purl.returncode == 2 and "unsupported purl type 'nope'" in bad_purl.stderr


def test_delta_of_the_latest_run(imported: Database) -> None:
    result = run_cli("advisories", "delta", "--format", "json", env=env(imported))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["new"] == ["GO-2022-1", "PYSEC-2022-1"]
    assert data["packages"] == [
        {"ecosystem": "Go", "name": "golang.org/x/net"},
        {"ecosystem": "PyPI", "name": "django"},
    ]
    assert run_cli("advisories", "delta", "99", env=env(imported)).returncode == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:8000", ("127.0.0.1", 8000)),
        (":9000", ("0.0.0.0", 9000)),  # noqa: S104
        ("[::1]:8080", ("::1", 8080)),
        ("localhost:1", ("localhost", 1)),
    ],
)
def test_server_addresses(text: str, expected: tuple[str, int]) -> None:
    assert parse_address(text) == expected


@pytest.mark.parametrize("text", ["8000", "host:", "host:70000", "a:b:c"])
def test_bad_server_addresses(text: str) -> None:
    with pytest.raises(ValueError, match="SERVER_ADDRESS must be HOST:PORT"):
        parse_address(text)


def test_serve_refuses_a_bad_address(deeptracy_home: Path) -> None:
    result = run_cli("serve", "--address", "nowhere")
    assert result.returncode == 2 and "SERVER_ADDRESS must be HOST:PORT" in result.stderr


# ---- the same commands in-process (typer's runner calls the real command functions) ----


def invoke(database: Database, *args: str) -> tuple[int, str, str]:
    from typer.testing import CliRunner

    from deeptracy.cli import app

    result = CliRunner().invoke(app, list(args), env={"DATABASE_URI": database.uri})
    return result.exit_code, result.stdout, result.stderr


def test_the_table_outputs(imported: Database, tmp_path: Path) -> None:
    code, out, _ = invoke(imported, "advisories", "status")
    assert code == 0 and "PyPI" in out and "directory" in out
    code, out, _ = invoke(imported, "advisories", "query", "pkg:pypi/django@3.1", "pkg:pypi/x@1")
    assert code == 1
    assert "PYSEC-2022-1" in out and "CRITICAL 9.8" in out and ">=3.0, <3.2.13" in out
    assert "PyPI x 1: no known advisory" in out
    code, out, _ = invoke(imported, "advisories", "query", "PyPI", "django")
    assert code == 1 and "(possibly)" in out
    code, out, _ = invoke(imported, "advisories", "delta")
    assert (
        code == 0
        and "2 new, 0 modified, 0 withdrawn" in out
        and "new: GO-2022-1, PYSEC-2022-1" in out
    )
    code, out, _ = invoke(imported, "advisories", "sync")
    assert code == 0 and "unchanged" in out
    root = write_dir(tmp_path / "more", [osv("X-2")])
    (root / "bad.json").write_text("[")
    code, out, err = invoke(imported, "advisories", "import", str(root))
    assert code == 1 and "1 input item(s) skipped" in err
    code, _, err = invoke(imported, "advisories", "query", "pkg:pypi/django@3.1", "--declared", "x")
    assert code == 2 and "--declared goes with ECOSYSTEM NAME" in err


def test_the_empty_state(database: Database) -> None:
    code, out, _ = invoke(database, "advisories", "status")
    assert code == 0 and "nothing imported yet" in out
    code, _, err = invoke(database, "advisories", "delta")
    assert code == 2 and "no import or sync has run yet" in err
    code, _, err = invoke(database, "advisories", "sync", "/not/remembered")
    assert code == 2 and "not a remembered source: /not/remembered" in err


def test_an_incomplete_answer_is_not_a_clean_bill(database: Database, tmp_path: Path) -> None:
    odd = osv("PYSEC-ODD", affected("PyPI", "odd", rng(("introduced", "0"), ("fixed", "x-y"))))
    invoke(database, "advisories", "import", str(write_dir(tmp_path / "odd", [odd])))
    code, _, err = invoke(database, "advisories", "query", "PyPI", "odd", "1.0")
    assert code == 2
    assert "PYSEC-ODD: cannot evaluate its ECOSYSTEM range" in err
