"""A real OSV client against a private DeepTracy: pip-audit finds what `advisories query` finds.

`deeptracy serve` runs as a subprocess on 127.0.0.1 over the test database (SQLite and
PostgreSQL); pip-audit audits pinned requirements through `--osv-url`, without pip and without
network; its findings are compared with `deeptracy advisories query --format json`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tests.support.cli import cli_env, deeptracy_serve, run_cli
from tests.support.osv_records import affected, osv, rng, write_dir

from deeptracy.store.db import Database

RECORDS = [
    osv(
        "PYSEC-T-1",
        affected("PyPI", "flask", rng(("introduced", "0"), ("fixed", "1.0"))),
        aliases=["CVE-2099-0001"],
    ),
    osv(
        "PYSEC-T-2",
        affected(
            "PyPI", "jinja2", rng(("introduced", "2.0"), ("fixed", "2.10.1")), versions=["2.10"]
        ),
    ),
    osv("GHSA-t3", affected("PyPI", "urllib3", rng(("introduced", "1.0"), ("fixed", "1.24.2")))),
    osv(
        "PYSEC-T-4",
        affected("PyPI", "urllib3", rng(("introduced", "1.24"), ("last_affected", "1.24.1"))),
    ),
    osv("PYSEC-T-5", affected("PyPI", "requests", rng(("introduced", "0"), ("fixed", "2.20.0")))),
    osv(
        "PYSEC-T-6",
        affected("PyPI", "requests", rng(("introduced", "0"))),
        withdrawn="2024-01-01T00:00:00Z",
    ),
    osv("PYSEC-T-7", affected("PyPI", "PyYAML", rng(("introduced", "5.1"), ("fixed", "5.4")))),
]
PINS = {
    "Flask": "0.12.2",
    "Jinja2": "2.10",
    "urllib3": "1.24.1",
    "requests": "2.31.0",
    "PyYAML": "5.3",
}


def pip_audit(url: str, requirements: Path, cache: Path) -> dict[str, Any]:
    result = subprocess.run(
        [
            sys.executable, "-m", "pip_audit",
            "-s", "osv", "--osv-url", f"{url}/v1/query",
            "--no-deps", "--disable-pip", "-r", str(requirements),
            "--format", "json", "--cache-dir", str(cache), "--progress-spinner", "off",
        ],
        capture_output=True, text=True, timeout=300, env=cli_env(),
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stderr  # 1: vulnerabilities were found
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def deeptracy_query(database: Database, pins: dict[str, str]) -> dict[str, Any]:
    purls = [f"pkg:pypi/{name.lower()}@{version}" for name, version in pins.items()]
    result = run_cli(
        "advisories", "query", *purls, "--format", "json", env={"DATABASE_URI": database.uri}
    )
    assert result.returncode in (0, 1), result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def audit(
    database: Database, tmp_path: Path, records: list[dict[str, Any]] | None, pins: dict[str, str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    env = {"DATABASE_URI": database.uri}
    if records is not None:
        imported = run_cli(
            "advisories", "import", str(write_dir(tmp_path / "osv", records)), env=env
        )
        assert imported.returncode == 0, imported.stderr
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("".join(f"{n}=={v}\n" for n, v in pins.items()))
    with deeptracy_serve(env) as url:
        found = pip_audit(url, requirements, tmp_path / "cache")
    return found, deeptracy_query(database, pins)


def test_pip_audit_sees_what_deeptracy_sees(database: Database, tmp_path: Path) -> None:
    found, ours = audit(database, tmp_path, RECORDS, PINS)

    by_pip_audit = {
        (dep["name"], dep["version"], vuln["id"]): sorted(vuln["fix_versions"])
        for dep in found["dependencies"]
        for vuln in dep["vulns"]
    }
    by_deeptracy = {
        (r["query"]["name"], r["query"]["version"], m["id"]): sorted(m["fixed"])
        for r in ours["results"]
        for m in r["vulns"]
    }
    assert by_deeptracy == {
        ("flask", "0.12.2", "PYSEC-T-1"): ["1.0"],
        ("jinja2", "2.10", "PYSEC-T-2"): ["2.10.1"],
        ("urllib3", "1.24.1", "GHSA-t3"): ["1.24.2"],
        ("urllib3", "1.24.1", "PYSEC-T-4"): [],
        ("pyyaml", "5.3", "PYSEC-T-7"): ["5.4"],
    }
    assert by_pip_audit.keys() == by_deeptracy.keys()  # the same findings
    # pip-audit reads fix versions only from affected entries whose name equals its canonical
    # name verbatim; this record spells it "PyYAML", so pip-audit shows none (DeepTracy
    # normalizes names per PEP 503 on both sides).
    assert by_pip_audit == {**by_deeptracy, ("pyyaml", "5.3", "PYSEC-T-7"): []}
    flask = next(d for d in found["dependencies"] if d["name"] == "flask")
    assert flask["vulns"][0]["aliases"] == ["CVE-2099-0001"]


@pytest.mark.shared_data
@pytest.mark.slow
def test_pip_audit_on_the_real_pypi_export(
    database: Database, shared_data: Path, tmp_path: Path
) -> None:
    env = {"DATABASE_URI": database.uri}
    zip_path = shared_data / "osv" / "current" / "PyPI" / "all.zip"
    imported = run_cli("advisories", "import", str(zip_path), env=env)
    assert imported.returncode == 0, imported.stderr
    pins = {
        "Django": "3.2.0",
        "requests": "2.19.0",
        "Jinja2": "2.10",
        "PyYAML": "5.3",
        "urllib3": "1.24.1",
        "Pillow": "8.0.0",
        "setuptools": "65.5.0",
    }
    found, ours = audit(database, tmp_path, None, pins)

    for result in ours["results"]:
        name = result["query"]["name"]
        dep = next(d for d in found["dependencies"] if d["name"] == name)
        # pip-audit folds advisories sharing an alias into one; compare through the aliases.
        theirs = {i for v in dep["vulns"] for i in (v["id"], *v["aliases"])}
        mine = {m["id"] for m in result["vulns"]}
        assert mine, name
        assert mine <= theirs, name
        assert {v["id"] for v in dep["vulns"]} <= mine, name
