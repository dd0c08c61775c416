import subprocess
import sys
from pathlib import Path

from tests.support.services import REPO_ROOT


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    full_env = {**os.environ, **(env or {}), "PYTHONPATH": str(REPO_ROOT / "src")}
    return subprocess.run(
        [sys.executable, "-m", "deeptracy", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
    )


def test_db_upgrade_creates_the_embedded_database(deeptracy_home: Path) -> None:
    result = run_cli("db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert (deeptracy_home / "deeptracy.db").is_file()
    assert str(deeptracy_home / "deeptracy.db") in result.stdout


def test_db_upgrade_reports_an_unreachable_server(tmp_path: Path) -> None:
    result = run_cli(
        "db", "upgrade", env={"DATABASE_URI": "postgresql://nobody:secretpw@127.0.0.1:1/x"}
    )
    assert result.returncode == 2
    assert "error: cannot upgrade postgresql+psycopg://nobody:***@127.0.0.1:1/x" in result.stderr
    assert "secretpw" not in result.stderr + result.stdout
