"""scan_tree over a small monorepo that mixes the JVM, Go, Dart, .NET, Ruby, Rust and
CycloneDX formats, with every built-in extractor."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from deeptracy.inventory.registry import all_extractors
from deeptracy.inventory.walker import scan_tree

ROOT = Path(__file__).parent / "data_others_monorepo"


def test_mixed_monorepo() -> None:
    inv = scan_tree(ROOT)
    assert [(p.source, p.ecosystem, p.name, p.version, p.direct) for p in inv.packages] == [
        ("Gemfile.lock", "RubyGems", "rack", "2.2.3", True),
        # packages.lock.json supersedes Gateway.csproj
        ("dotnet/Gateway/packages.lock.json", "NuGet", "Ocelot", "20.0.0", True),
        ("dotnet/Gateway/packages.lock.json", "NuGet", "Polly", "7.2.4", False),
        ("mobile/pubspec.lock", "Pub", "http", "0.13.6", True),
        ("release/ledger.cdx.json", "Go", "github.com/gin-gonic/gin", "v1.9.0", True),
        # a Maven project may hold both a POM and a Gradle lockfile: both are read
        (
            "services/billing/gradle.lockfile",
            "Maven",
            "org.apache.logging.log4j:log4j-core",
            "2.17.1",
            None,
        ),
        (
            "services/billing/pom.xml",
            "Maven",
            "org.apache.logging.log4j:log4j-core",
            "2.14.1",
            True,
        ),
        ("services/ledger/go.mod", "Go", "github.com/gin-gonic/gin", "v1.9.0", True),
        ("services/ledger/go.mod", "Go", "golang.org/x/text", "v0.3.7", False),
    ]
    # vendor/ is skipped by the walker; the broken Cargo.lock is one precise error
    assert [e.path for e in inv.errors] == ["Cargo.lock"]
    assert inv.errors[0].message.startswith("rust/cargo-lock: invalid TOML: ")
    assert inv.errors[0].message.endswith("(at end of document)")


def test_registry_names_and_file_claims() -> None:
    extractors = all_extractors()
    names = [ex.name for ex in extractors]
    assert len(names) == len(set(names))
    claims = {
        "pom.xml": ["java/maven-pom"],
        "gradle.lockfile": ["java/gradle-lockfile"],
        "buildscript-gradle.lockfile": ["java/gradle-lockfile"],
        "gradle/dependency-locks/compileClasspath.lockfile": ["java/gradle-lockfile"],
        "go.mod": ["go/gomod"],
        "Cargo.lock": ["rust/cargo-lock"],
        "Gemfile.lock": ["ruby/gemfile-lock"],
        "composer.lock": ["php/composer-lock"],
        "packages.lock.json": ["dotnet/packages-lock"],
        "src/App.csproj": ["dotnet/msbuild-project"],
        "packages.config": ["dotnet/packages-config"],
        "pubspec.lock": ["dart/pubspec-lock"],
        "mix.lock": ["elixir/mix-lock"],
        "Package.resolved": ["swift/package-resolved"],
        "conan.lock": ["cpp/conan-lock"],
        "renv.lock": ["r/renv-lock"],
        "bom.json": ["sbom/cyclonedx"],
        "dist/app.cdx.xml": ["sbom/cyclonedx"],
        "dist/app.spdx.json": ["sbom/spdx"],
        "notes.lockfile": [],
        "Directory.Packages.props": [],
    }
    for path, wanted in claims.items():
        pure = PurePosixPath(path)
        assert [ex.name for ex in extractors if ex.wants(pure)] == wanted, path
