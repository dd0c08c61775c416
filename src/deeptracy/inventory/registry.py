"""Every extractor DeepTracy knows, in one place, grouped by ecosystem."""

from __future__ import annotations

from deeptracy.inventory.extractors.cpp.conan import ConanLockExtractor
from deeptracy.inventory.extractors.dart.pubspec import PubspecLockExtractor
from deeptracy.inventory.extractors.dotnet.msbuild import MsBuildProjectExtractor
from deeptracy.inventory.extractors.dotnet.packages_config import PackagesConfigExtractor
from deeptracy.inventory.extractors.dotnet.packages_lock import PackagesLockExtractor
from deeptracy.inventory.extractors.elixir.mixlock import MixLockExtractor
from deeptracy.inventory.extractors.go.gomod import GoModExtractor
from deeptracy.inventory.extractors.java.gradle import GradleLockfileExtractor
from deeptracy.inventory.extractors.java.maven import MavenPomExtractor
from deeptracy.inventory.extractors.javascript.bun_lock import BunLockExtractor
from deeptracy.inventory.extractors.javascript.package_json import PackageJsonExtractor
from deeptracy.inventory.extractors.javascript.package_lock import PackageLockExtractor
from deeptracy.inventory.extractors.javascript.pnpm_lock import PnpmLockExtractor
from deeptracy.inventory.extractors.javascript.yarn_lock import YarnLockExtractor
from deeptracy.inventory.extractors.php.composer import ComposerLockExtractor
from deeptracy.inventory.extractors.python.pdm_lock import PdmLockExtractor
from deeptracy.inventory.extractors.python.pipfile_lock import PipfileLockExtractor
from deeptracy.inventory.extractors.python.poetry_lock import PoetryLockExtractor
from deeptracy.inventory.extractors.python.pylock import PylockExtractor
from deeptracy.inventory.extractors.python.pyproject import PyprojectExtractor
from deeptracy.inventory.extractors.python.requirements import RequirementsTxtExtractor
from deeptracy.inventory.extractors.python.uv_lock import UvLockExtractor
from deeptracy.inventory.extractors.r.renv import RenvLockExtractor
from deeptracy.inventory.extractors.ruby.gemfile_lock import GemfileLockExtractor
from deeptracy.inventory.extractors.rust.cargo import CargoLockExtractor
from deeptracy.inventory.extractors.sbom.cyclonedx import CycloneDxExtractor
from deeptracy.inventory.extractors.sbom.spdx import SpdxJsonExtractor
from deeptracy.inventory.extractors.swift.resolved import PackageResolvedExtractor
from deeptracy.inventory.interface import Extractor


def all_extractors() -> list[Extractor]:
    """A fresh instance of every built-in extractor."""
    return [
        # Python (PyPI)
        RequirementsTxtExtractor(),
        PyprojectExtractor(),
        PoetryLockExtractor(),
        PipfileLockExtractor(),
        PdmLockExtractor(),
        UvLockExtractor(),
        PylockExtractor(),
        # JavaScript (npm)
        PackageJsonExtractor(),
        PackageLockExtractor(),
        YarnLockExtractor(),
        PnpmLockExtractor(),
        BunLockExtractor(),
        # JVM (Maven)
        MavenPomExtractor(),
        GradleLockfileExtractor(),
        # Go, Rust, Ruby, PHP
        GoModExtractor(),
        CargoLockExtractor(),
        GemfileLockExtractor(),
        ComposerLockExtractor(),
        # .NET (NuGet)
        PackagesLockExtractor(),
        MsBuildProjectExtractor(),
        PackagesConfigExtractor(),
        # Dart, Elixir, Swift, C/C++, R
        PubspecLockExtractor(),
        MixLockExtractor(),
        PackageResolvedExtractor(),
        ConanLockExtractor(),
        RenvLockExtractor(),
        # SBOMs as input
        CycloneDxExtractor(),
        SpdxJsonExtractor(),
    ]
