"""The pipeline's sparse checkout fetches every file the extractors read.

The clone checks out only MANIFEST_PATTERNS; a file an extractor needs but the patterns miss
(a requirements include, the manifest beside a lockfile, a Maven parent, central package
management) would silently change the inventory. So: commit the inventory tests' whole data
tree, clone it the way scans do, and compare with a scan of the original files.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.git_server import GitRepoFactory

from deeptracy.config import Settings
from deeptracy.inventory.walker import scan_tree
from deeptracy.scanning.pipeline import MANIFEST_PATTERNS
from deeptracy.scanning.workspace import clone

DATA = Path(__file__).resolve().parents[1] / "inventory"


def test_sparse_checkout_reads_what_a_full_tree_reads(
    git_repos: GitRepoFactory, git_settings: Settings
) -> None:
    files = {
        p.relative_to(DATA).as_posix(): p.read_bytes()
        for p in DATA.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert len(files) > 100
    repo = git_repos.create("fixtures/inventory", files)
    expected = scan_tree(DATA)
    assert len(expected.packages) > 300
    with clone(
        repo.file_url, settings=git_settings, manifest_patterns=MANIFEST_PATTERNS
    ) as workspace:
        assert workspace.sparse
        checked_out = [
            p for p in workspace.path.rglob("*") if p.is_file() and ".git" not in p.parts
        ]
        assert len(checked_out) < len(files)  # the test modules themselves were left out
        got = scan_tree(workspace.path)
    assert got.packages == expected.packages
    assert got.errors == expected.errors
