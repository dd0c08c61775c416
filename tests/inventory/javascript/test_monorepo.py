"""The whole registry over a small mixed monorepo: one component per manifest or lockfile."""

from __future__ import annotations

from pathlib import Path

from deeptracy.inventory.registry import all_extractors
from deeptracy.inventory.walker import scan_tree

MONOREPO = Path(__file__).parent / "testdata" / "monorepo"


def test_each_manifest_or_lockfile_is_a_component() -> None:
    inv = scan_tree(MONOREPO, extractors=all_extractors())
    got = [
        (p.source, p.ecosystem, p.name, p.version, p.declared, p.direct, p.scope)
        for p in inv.packages
    ]
    assert got == [
        ("services/billing/uv.lock", "PyPI", "requests", "2.31.0", None, False, None),
        ("services/billing/uv.lock", "PyPI", "stripe", "8.7.0", None, True, None),
        ("services/legacy/requirements.txt", "PyPI", "celery", None, "<6,>=5", None, None),
        ("services/legacy/requirements.txt", "PyPI", "Django", "3.2.25", None, None, None),
        # the broken pnpm-lock.yaml beside it did not supersede it
        ("tools/broken/package.json", "npm", "lodash", None, "^4.17.21", True, None),
        ("tools/docs/yarn.lock", "npm", "marked", "12.0.1", None, True, "dev"),
        ("web/package-lock.json", "npm", "loose-envify", "1.4.0", None, False, None),
        ("web/package-lock.json", "npm", "react", "18.2.0", None, True, None),
        ("web/packages/ui/package.json", "npm", "react", None, ">=18", True, "peer"),
    ]  # web/node_modules is never walked; pyproject.toml and package.json beside locks: read once
    [error] = inv.errors
    assert error.path == "tools/broken/pnpm-lock.yaml"
    assert error.message.startswith("javascript/pnpm-lock: invalid YAML at line ")
