"""Every extractor DeepTracy knows, in one place."""

from __future__ import annotations

from deeptracy.inventory.extractors.javascript.bun_lock import BunLockExtractor
from deeptracy.inventory.extractors.javascript.package_json import PackageJsonExtractor
from deeptracy.inventory.extractors.javascript.package_lock import PackageLockExtractor
from deeptracy.inventory.extractors.javascript.pnpm_lock import PnpmLockExtractor
from deeptracy.inventory.extractors.javascript.yarn_lock import YarnLockExtractor
from deeptracy.inventory.extractors.python.pdm_lock import PdmLockExtractor
from deeptracy.inventory.extractors.python.pipfile_lock import PipfileLockExtractor
from deeptracy.inventory.extractors.python.poetry_lock import PoetryLockExtractor
from deeptracy.inventory.extractors.python.pylock import PylockExtractor
from deeptracy.inventory.extractors.python.pyproject import PyprojectExtractor
from deeptracy.inventory.extractors.python.requirements import RequirementsTxtExtractor
from deeptracy.inventory.extractors.python.uv_lock import UvLockExtractor
from deeptracy.inventory.interface import Extractor


def all_extractors() -> list[Extractor]:
    """A fresh instance of every built-in extractor."""
    return [
        # --- Python (PyPI) and JavaScript (npm) -------------------------------------------
        RequirementsTxtExtractor(),
        PyprojectExtractor(),
        PoetryLockExtractor(),
        PipfileLockExtractor(),
        PdmLockExtractor(),
        UvLockExtractor(),
        PylockExtractor(),
        PackageJsonExtractor(),
        PackageLockExtractor(),
        YarnLockExtractor(),
        PnpmLockExtractor(),
        BunLockExtractor(),
        # --- end of Python and JavaScript -------------------------------------------------
    ]
