"""NuGet: packages.lock.json, project files (superseded by the lockfile; Central Package
Management), packages.config."""

from __future__ import annotations

from pathlib import Path

from tests.inventory.extractor_support import errors, rows, scan, write

from deeptracy.inventory.extractors.dotnet.msbuild import MsBuildProjectExtractor
from deeptracy.inventory.extractors.dotnet.packages_config import PackagesConfigExtractor
from deeptracy.inventory.extractors.dotnet.packages_lock import PackagesLockExtractor

DATA = Path(__file__).parent / "data"
ALL = (PackagesLockExtractor(), MsBuildProjectExtractor(), PackagesConfigExtractor())
NO_VERSION = "no version: not in the project, nor in a Directory.Packages.props of the tree"


def test_lockfile_supersedes_the_project_and_merges_target_frameworks() -> None:
    inv = scan(DATA, *ALL)
    assert not any(p.source == "Api/Api.csproj" for p in inv.packages)
    lock = [("Api/packages.lock.json", None)]
    assert rows(inv, "Api/packages.lock.json") == [
        ("Newtonsoft.Json", "13.0.1", None, True, None, lock, None),
        ("Serilog", "2.12.0", None, False, None, lock, None),
        ("Serilog", "3.0.1", None, False, None, lock, None),
        ("Serilog.AspNetCore", "7.0.0", None, True, None, lock, None),
        # CentralTransitive in one framework, Transitive in a runtime graph: one package
        ("System.Text.Json", "8.0.4", None, False, None, lock, None),
    ]


def test_project_file_versions_follow_nuget_semantics() -> None:
    inv = scan(DATA, *ALL)
    tool = "Tool/Tool.csproj"
    assert rows(inv, tool) == [
        # a bare version is a minimum: declared [x, ), no exact version
        ("AWSSDK.S3", None, "[3.7.300.1, )", True, None, [(tool, 8)], None),
        # [x] pins exactly
        ("Dapper", "2.1.24", "[2.1.24]", True, None, [(tool, 10)], None),
        ("Humanizer", None, "2.*", True, None, [(tool, 14)], None),
        (
            "Microsoft.Extensions.Hosting",
            None,
            "[8.0.0, )",
            True,
            None,
            [(tool, 20)],
            "Update of a reference included elsewhere (an imported file or the SDK)",
        ),
        ("Microsoft.SourceLink.GitHub", None, "[8.0.0, )", True, "dev", [(tool, 15)], None),
        ("Polly", None, "[7.0,8.0)", True, None, [(tool, 13)], None),
        ("Spectre.Console", None, None, True, None, [(tool, 16)], NO_VERSION),
        ("System.CommandLine", None, "[2.0.0-beta4.22272.1, )", True, None, [(tool, 9)], None),
        (
            "YamlDotNet",
            None,
            None,
            True,
            None,
            [(tool, 17)],
            "version '$(YamlVersion)' unresolved: property $(YamlVersion) is not defined in the "
            "project files read",
        ),
    ]


def test_central_package_management_from_a_parent_directory() -> None:
    inv = scan(DATA, *ALL)
    web = "cpm/src/Web/Web.csproj"
    props = "cpm/Directory.Packages.props"
    assert rows(inv, web) == [
        ("FluentValidation", None, "[11.9.0, )", True, None, [(web, 8)], None),
        ("mediatr", None, "[12.2.0, )", True, None, [(web, 7), (props, 9)], None),
        (
            "Microsoft.EntityFrameworkCore",
            None,
            "[8.0.1, )",
            True,
            None,
            [(web, 6), (props, 8)],
            None,
        ),
        # a GlobalPackageReference applies to every project of the CPM file
        (
            "StyleCop.Analyzers",
            None,
            "[1.2.0-beta.556, )",
            True,
            "dev",
            [(web, None), (props, 14)],
            None,
        ),
        ("Swashbuckle.AspNetCore", None, None, True, None, [(web, 9)], NO_VERSION),
        ("xunit", None, "[2.6.2, )", True, "dev", [(web, 12), (props, 11)], None),
    ]


def test_packages_config() -> None:
    inv = scan(DATA, *ALL)
    cfg = "Legacy/packages.config"
    assert rows(inv, cfg) == [
        ("EntityFramework", "6.4.4", None, None, None, [(cfg, 3)], None),
        ("log4net", "2.0.8", None, None, None, [(cfg, 4)], None),
        (
            "Microsoft.CodeDom.Providers.DotNetCompilerPlatform",
            "2.0.1",
            None,
            None,
            "dev",
            [(cfg, 5)],
            None,
        ),
    ]
    assert errors(inv) == [(cfg, 6, "<package> without id or version")]


def test_project_is_read_when_its_lockfile_is_broken(tmp_path: Path) -> None:
    write(tmp_path, "App/App.csproj", (DATA / "Api" / "Api.csproj").read_text())
    write(tmp_path, "App/packages.lock.json", '{"version": 1, "dependencies": {"net8.0": ')
    write(tmp_path, "Bad/packages.lock.json", '{"version": 1, "dependencies": []}')
    write(
        tmp_path, "Bad/Bad.fsproj", "<Project><ItemGroup><PackageReference/></ItemGroup></Project>"
    )
    write(tmp_path, "Odd/packages.config", "<configuration/>")
    write(tmp_path, "Odd/Odd.vbproj", "<packages/>")
    inv = scan(tmp_path, *ALL)
    assert rows(inv) == [
        ("Newtonsoft.Json", None, "[13.0.1, )", True, None, [("App/App.csproj", 7)], None),
        ("Serilog.AspNetCore", None, "[7.0.0, )", True, None, [("App/App.csproj", 8)], None),
    ]
    assert errors(inv) == [
        (
            "App/packages.lock.json",
            None,
            "dotnet/packages-lock: invalid JSON at line 1 column 43: Expecting value",
        ),
        ("Bad/Bad.fsproj", 1, "<PackageReference> without Include, Update or Remove"),
        (
            "Bad/packages.lock.json",
            None,
            "dotnet/packages-lock: 'dependencies' is an array, not an object",
        ),
        (
            "Odd/Odd.vbproj",
            None,
            "dotnet/msbuild-project: root element is <packages>, not an MSBuild <Project>",
        ),
        (
            "Odd/packages.config",
            None,
            "dotnet/packages-config: root element is <configuration>, not <packages>",
        ),
    ]
