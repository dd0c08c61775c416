"""Every extractor DeepTracy knows, in one place."""

from __future__ import annotations

from deeptracy.inventory.interface import Extractor


def all_extractors() -> list[Extractor]:
    """A fresh instance of every built-in extractor."""
    return [*_other_ecosystems()]


# --- JVM, Go, Rust, Ruby, PHP, .NET, Dart, Elixir, Swift, C/C++, R and SBOMs ---------------
# (branch inv-others; kept in one block, imports inside, so that it merges cleanly)
def _other_ecosystems() -> list[Extractor]:
    from deeptracy.inventory.extractors.cpp.conan import ConanLockExtractor
    from deeptracy.inventory.extractors.dart.pubspec import PubspecLockExtractor
    from deeptracy.inventory.extractors.dotnet.msbuild import MsBuildProjectExtractor
    from deeptracy.inventory.extractors.dotnet.packages_config import PackagesConfigExtractor
    from deeptracy.inventory.extractors.dotnet.packages_lock import PackagesLockExtractor
    from deeptracy.inventory.extractors.elixir.mixlock import MixLockExtractor
    from deeptracy.inventory.extractors.go.gomod import GoModExtractor
    from deeptracy.inventory.extractors.java.gradle import GradleLockfileExtractor
    from deeptracy.inventory.extractors.java.maven import MavenPomExtractor
    from deeptracy.inventory.extractors.php.composer import ComposerLockExtractor
    from deeptracy.inventory.extractors.r.renv import RenvLockExtractor
    from deeptracy.inventory.extractors.ruby.gemfile_lock import GemfileLockExtractor
    from deeptracy.inventory.extractors.rust.cargo import CargoLockExtractor
    from deeptracy.inventory.extractors.sbom.cyclonedx import CycloneDxExtractor
    from deeptracy.inventory.extractors.sbom.spdx import SpdxJsonExtractor
    from deeptracy.inventory.extractors.swift.resolved import PackageResolvedExtractor

    return [
        MavenPomExtractor(),
        GradleLockfileExtractor(),
        GoModExtractor(),
        CargoLockExtractor(),
        GemfileLockExtractor(),
        ComposerLockExtractor(),
        PackagesLockExtractor(),
        MsBuildProjectExtractor(),
        PackagesConfigExtractor(),
        PubspecLockExtractor(),
        MixLockExtractor(),
        PackageResolvedExtractor(),
        ConanLockExtractor(),
        RenvLockExtractor(),
        CycloneDxExtractor(),
        SpdxJsonExtractor(),
    ]


# --- end of the inv-others block -------------------------------------------------------------
