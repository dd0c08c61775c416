"""Reading a local checkout for `inventory` and `scan`: its .deeptracy.yml, then its files."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from deeptracy.cli.common import fail
from deeptracy.inventory.model import Inventory
from deeptracy.inventory.walker import scan_file, scan_tree
from deeptracy.reports.model import Report, Target
from deeptracy.scanning.repo_config import RepoConfig, RepoConfigError, load_repo_config


@dataclass(frozen=True)
class LocalCheckout:
    root: Path
    config: RepoConfig
    inventory: Inventory

    def report(self) -> Report:
        """A report of the inventory alone; `scan` adds findings with dataclasses.replace."""
        target = Target(name=self.root.resolve().name or str(self.root), path=str(self.root))
        return Report(target=target, generated_at=datetime.now(UTC), inventory=self.inventory)


def read_local(path: Path) -> LocalCheckout:
    """The configuration and inventory of a directory or a single file; exits 2 on errors."""
    if not path.exists():
        fail(f"{path} does not exist")
    if path.is_file():
        return LocalCheckout(root=path.parent, config=RepoConfig(), inventory=scan_file(path))
    if not path.is_dir():
        fail(f"{path} is neither a directory nor a regular file")
    try:
        config = load_repo_config(path)
    except RepoConfigError as exc:
        fail(str(exc))
    inventory = scan_tree(path, options=config.walk_options())
    return LocalCheckout(root=path, config=config, inventory=inventory)
