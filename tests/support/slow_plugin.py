"""A PLUGINS_LOCATION module for kill tests: its analyzer is slow the first time only.

The first analysis anywhere (any process) creates the marker file and sleeps; every later one
finds the marker and returns at once. So a worker killed during the first attempt leaves the
retry (on another worker, after the reaper requeued the scan) to finish quickly.
"""

from __future__ import annotations

from pathlib import Path

SOURCE = """
import os
import time

from deeptracy.analyzers.interface import Analyzer


class SlowOnce(Analyzer):
    name = "slow-once"
    description = "sleeps during the first analysis only (kill tests)"

    def analyze(self, inventory):
        marker = os.environ["DEEPTRACY_TEST_SLOW_MARKER"]
        try:
            fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            return []
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        time.sleep(float(os.environ.get("DEEPTRACY_TEST_SLOW_SECONDS", "120")))
        return []
"""


def write_slow_plugin(directory: Path) -> Path:
    """PLUGINS_LOCATION with the slow-once module (permissions the registry accepts)."""
    directory.mkdir(mode=0o755, parents=True)
    module = directory / "slow_once.py"
    module.write_text(SOURCE)
    module.chmod(0o644)
    return directory


def slow_pid(marker: Path) -> int | None:
    """The pid of the process sleeping in the slow analyzer, once it started."""
    try:
        text = marker.read_text()
    except FileNotFoundError:
        return None
    return int(text) if text.strip().isdigit() else None
