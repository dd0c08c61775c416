import pytest

from deeptracy.ecosystems import (
    PurlError,
    canonical_ecosystem,
    normalize_name,
    parse_purl,
    purl_for,
)


@pytest.mark.parametrize(
    ("ecosystem", "name", "expected"),
    [
        ("PyPI", "Django", "django"),
        ("PyPI", "zope.interface", "zope-interface"),
        ("PyPI", "Foo__Bar-.baz", "foo-bar-baz"),
        ("crates.io", "Serde_JSON", "serde-json"),
        ("NuGet", "Newtonsoft.Json", "newtonsoft.json"),
        ("Packagist", "Symfony/HTTP-Kernel", "symfony/http-kernel"),
        ("npm", "JSONStream", "JSONStream"),
        ("Go", "github.com/BurntSushi/toml", "github.com/BurntSushi/toml"),
        ("Maven", "org.apache.logging.log4j:log4j-core", "org.apache.logging.log4j:log4j-core"),
        ("SwiftURL", "https://github.com/Apple/swift-nio.git", "github.com/apple/swift-nio"),
        ("SwiftURL", "git@github.com:apple/swift-nio.git", "github.com/apple/swift-nio"),
    ],
)
def test_normalize_name(ecosystem: str, name: str, expected: str) -> None:
    assert normalize_name(ecosystem, name) == expected


@pytest.mark.parametrize(
    ("ecosystem", "name", "version", "purl"),
    [
        ("PyPI", "Django_Rest", "3.2.0", "pkg:pypi/django-rest@3.2.0"),
        ("npm", "@angular/core", "16.0.0", "pkg:npm/%40angular/core@16.0.0"),
        ("npm", "lodash", "4.17.20", "pkg:npm/lodash@4.17.20"),
        ("Maven", "org.yaml:snakeyaml", "1.33", "pkg:maven/org.yaml/snakeyaml@1.33"),
        ("Go", "golang.org/x/net", "v0.17.0", "pkg:golang/golang.org/x/net@v0.17.0"),
        ("crates.io", "tokio", "1.28.0", "pkg:cargo/tokio@1.28.0"),
        ("RubyGems", "rails", "7.0.1", "pkg:gem/rails@7.0.1"),
        ("Packagist", "symfony/http-kernel", "5.4.0", "pkg:composer/symfony/http-kernel@5.4.0"),
        ("NuGet", "Newtonsoft.Json", "13.0.1", "pkg:nuget/Newtonsoft.Json@13.0.1"),
    ],
)
def test_purl_round_trip(ecosystem: str, name: str, version: str, purl: str) -> None:
    assert purl_for(ecosystem, name, version) == purl
    parts = parse_purl(purl)
    assert parts.ecosystem == ecosystem
    assert parts.version == version
    assert normalize_name(ecosystem, parts.name) == normalize_name(ecosystem, name)


def test_purl_without_version_and_unknown_ecosystem() -> None:
    assert purl_for("PyPI", "requests") == "pkg:pypi/requests"
    assert parse_purl("pkg:pypi/requests").version is None
    assert purl_for("Debian", "openssl", "1.0") is None


@pytest.mark.parametrize("bad", ["not-a-purl", "pkg:", "pkg:unknowntype/x@1"])
def test_bad_purls_are_refused_with_a_message(bad: str) -> None:
    with pytest.raises(PurlError, match="purl"):
        parse_purl(bad)


def test_canonical_ecosystem() -> None:
    assert canonical_ecosystem("pypi") == "PyPI"
    assert canonical_ecosystem("CRATES.IO") == "crates.io"
    assert canonical_ecosystem("Debian:12") == "Debian:12"
    assert canonical_ecosystem("npm") == "npm"
