"""`deeptracy inventory` on a small monorepo, through the real command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from tests.support.cli import run_cli

PACKAGE_LOCK = {
    "name": "web",
    "version": "1.0.0",
    "lockfileVersion": 3,
    "packages": {
        "": {"name": "web", "version": "1.0.0", "dependencies": {"lodash": "^4.17.0"}},
        "node_modules/lodash": {"version": "4.17.20"},
    },
}


@pytest.fixture
def monorepo(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    (root / "api").mkdir(parents=True)
    (root / "web").mkdir()
    (root / "api" / "requirements.txt").write_text("django==3.2.0\nrequests>=2.0,<3\n")
    (root / "web" / "package.json").write_text('{"dependencies": {"lodash": "^4.17.0"}}')
    (root / "web" / "package-lock.json").write_text(json.dumps(PACKAGE_LOCK))
    (root / "go.mod").write_text(
        "module example.com/shop\n\ngo 1.21\n\nrequire golang.org/x/net v0.17.0\n"
    )
    (root / "broken").mkdir()
    (root / "broken" / "Cargo.lock").write_text("[[package]\nname = ")
    return root


def test_json_lists_every_package_once_with_locations_and_errors(monorepo: Path) -> None:
    result = run_cli("inventory", str(monorepo), "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    rows = [
        (p["ecosystem"], p["name"], p["version"], p.get("declared"), p["locations"][0]["path"])
        for p in data["packages"]
    ]
    assert rows == [
        ("PyPI", "django", "3.2.0", None, "api/requirements.txt"),
        ("PyPI", "requests", None, "<3,>=2.0", "api/requirements.txt"),
        ("Go", "golang.org/x/net", "v0.17.0", None, "go.mod"),
        ("npm", "lodash", "4.17.20", None, "web/package-lock.json"),
    ]
    django = data["packages"][0]
    assert django["purl"] == "pkg:pypi/django@3.2.0"
    assert django["locations"] == [{"path": "api/requirements.txt", "line": 1}]
    assert set(django) >= {"ecosystem", "name", "version", "purl", "direct", "scope", "locations"}
    assert [e["path"] for e in data["errors"]] == ["broken/Cargo.lock"]
    assert data["errors"][0]["message"].startswith("rust/cargo-lock: invalid TOML")


def test_cyclonedx_is_a_valid_1_6_sbom_with_purls(monorepo: Path) -> None:
    result = run_cli("inventory", str(monorepo), "--format", "cyclonedx")
    assert result.returncode == 0, result.stderr
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(result.stdout) is None
    bom = json.loads(result.stdout)
    assert bom["specVersion"] == "1.6"
    purls = sorted(c["purl"] for c in bom["components"])
    assert purls == [
        "pkg:golang/golang.org/x/net@v0.17.0",
        "pkg:npm/lodash@4.17.20",
        "pkg:pypi/django@3.2.0",
        "pkg:pypi/requests",
    ]
    assert "vulnerabilities" not in bom or bom["vulnerabilities"] == []


def test_table_names_files_and_errors(monorepo: Path, tmp_path: Path) -> None:
    out = tmp_path / "inventory.txt"
    result = run_cli("inventory", str(monorepo), "--output", str(out))
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    assert "django" in text and "api/requirements.txt:1" in text
    assert "<3,>=2.0 (declared)" in text
    assert "4 packages from 3 files" in text
    assert "error broken/Cargo.lock" in text


def test_a_single_file_can_be_named(monorepo: Path) -> None:
    result = run_cli("inventory", str(monorepo / "api" / "requirements.txt"), "-f", "json")
    assert result.returncode == 0, result.stderr
    assert [p["name"] for p in json.loads(result.stdout)["packages"]] == ["django", "requests"]
    other = monorepo / "README"
    other.write_text("hello")
    unknown = json.loads(run_cli("inventory", str(other), "-f", "json").stdout)
    assert unknown == {
        "packages": [],
        "errors": [{"path": "README", "message": "no extractor reads this kind of file"}],
    }


def test_usage_errors_exit_2(monorepo: Path) -> None:
    missing = run_cli("inventory", str(monorepo / "nope"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    (monorepo / ".deeptracy.yml").write_text("ignroe: []\n")
    bad = run_cli("inventory", str(monorepo))
    assert bad.returncode == 2 and "ignroe" in bad.stderr


def test_project_config_skips_paths(monorepo: Path) -> None:
    (monorepo / ".deeptracy.yml").write_text("paths:\n  - web\n  - broken\n")
    data = json.loads(run_cli("inventory", str(monorepo), "-f", "json").stdout)
    assert {p["ecosystem"] for p in data["packages"]} == {"PyPI", "Go"}
    assert data["errors"] == []
