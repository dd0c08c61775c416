"""Ctrl-C in the middle of an import: exit 130, a clear message, the database as it was."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.support.cli import cli_env, run_cli
from tests.support.osv_records import affected, osv, rng

from deeptracy.store.db import Database, upgrade


def test_an_interrupted_import_changes_nothing(tmp_path: Path) -> None:
    db_path = tmp_path / "deeptracy.db"
    uri = f"sqlite:///{db_path}"
    db = Database(uri)
    upgrade(db)
    db.dispose()
    root = tmp_path / "osv"
    root.mkdir()
    entry = affected("PyPI", "demo", rng(("introduced", "0"), ("fixed", "1.0")))
    for i in range(20_000):
        (root / f"T-{i}.json").write_text(json.dumps(osv(f"T-{i}", entry)))

    process = subprocess.Popen(
        [sys.executable, "-m", "deeptracy", "advisories", "import", str(root)],
        env=cli_env(DATABASE_URI=uri),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wal = Path(f"{db_path}-wal")
    deadline = time.monotonic() + 120
    # Interrupt once the import transaction has written its first batches.
    while not (wal.exists() and wal.stat().st_size > 512 * 1024):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.005)
    process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=120)

    assert process.returncode == 130, err
    assert "interrupted: nothing was written, the database is as it was" in err
    status = run_cli("advisories", "status", "--format", "json", env={"DATABASE_URI": uri})
    data = json.loads(status.stdout)
    assert (data["records"], data["last_run"], data["sources"]) == (0, None, [])
