"""Every extractor DeepTracy knows, in one place."""

from __future__ import annotations

from deeptracy.inventory.extractors.javascript.bun_lock import BunLockExtractor
from deeptracy.inventory.extractors.javascript.package_json import PackageJsonExtractor
from deeptracy.inventory.extractors.javascript.package_lock import PackageLockExtractor
from deeptracy.inventory.extractors.javascript.pnpm_lock import PnpmLockExtractor
from deeptracy.inventory.extractors.javascript.yarn_lock import YarnLockExtractor
from deeptracy.inventory.interface import Extractor


def all_extractors() -> list[Extractor]:
    """A fresh instance of every built-in extractor."""
    return [
        # --- Python and JavaScript (npm) --------------------------------------------------
        PackageJsonExtractor(),
        PackageLockExtractor(),
        YarnLockExtractor(),
        PnpmLockExtractor(),
        BunLockExtractor(),
        # --- end of Python and JavaScript -------------------------------------------------
    ]
