"""npm: SemVer order and node-semver ranges, with the desugarings from node-semver's README."""

from __future__ import annotations

import pytest

from deeptracy.versions import InvalidConstraint, InvalidVersion
from tests.versions.helpers import assert_admits, assert_equal, scheme


def test_npm_reads_v_and_equals_prefixes_and_ignores_build() -> None:
    assert_equal("npm", "1.2.3", "v1.2.3", "=1.2.3", " v1.2.3 ", "1.2.3+build.5")


@pytest.mark.parametrize("bad", ["1.2.3.4", "1.2.3-", "01.2.3", "1.2.3-01", "latest", ""])
def test_npm_invalid_versions_name_the_rule(bad: str) -> None:
    with pytest.raises(InvalidVersion, match=r"not a valid npm version \(SemVer 2\.0"):
        scheme("npm").parse(bad)


@pytest.mark.parametrize(
    ("spec", "inside", "outside"),
    [
        # Hyphen ranges: a partial upper bound admits everything its parts start with.
        ("1.2.3 - 2.3.4", ["1.2.3", "2.3.4", "2.0.0"], ["1.2.2", "2.3.5", "2.3.5-0"]),
        ("1.2 - 2.3.4", ["1.2.0", "2.3.4"], ["1.1.9", "2.3.5"]),
        ("1.2.3 - 2.3", ["1.2.3", "2.3.99"], ["2.4.0-0", "2.4.0"]),
        ("1.2.3 - 2", ["2.99.99"], ["3.0.0-0", "3.0.0", "1.2.2"]),
        ("1.2.3-beta - 2.0.0-rc.1", ["1.2.3-beta", "2.0.0-rc.1"], ["1.2.3-alpha", "2.0.0"]),
        ("* - 2.0.0", ["0.0.0", "2.0.0"], ["2.0.1"]),
        ("1.0.0 - *", ["1.0.0", "99.0.0"], ["0.9.9"]),
        ("~*", ["0.0.1"], []),
        # X-ranges and partial versions.
        ("*", ["0.0.0", "99.0.0-beta"], []),
        ("1.x", ["1.0.0", "1.99.99", "1.0.0-0"], ["2.0.0-0", "0.99.99"]),
        ("1.2.*", ["1.2.0", "1.2.99"], ["1.3.0-0", "1.1.99"]),
        ("1", ["1.0.0", "1.9.9"], ["2.0.0", "0.9.9"]),
        ("1.2", ["1.2.0", "1.2.9"], ["1.3.0", "1.1.9"]),
        ("X", ["5.0.0"], []),
        # Tilde: patch-level changes if a minor is given, minor-level otherwise.
        ("~1.2.3", ["1.2.3", "1.2.99"], ["1.2.2", "1.3.0-0", "1.3.0"]),
        ("~1.2", ["1.2.0", "1.2.99"], ["1.3.0", "1.1.99"]),
        ("~1", ["1.0.0", "1.99.0"], ["2.0.0-0", "0.99.0"]),
        ("~0.2.3", ["0.2.3", "0.2.9"], ["0.3.0", "0.2.2"]),
        ("~0", ["0.0.0", "0.99.0"], ["1.0.0"]),
        ("~1.2.3-beta.2", ["1.2.3-beta.2", "1.2.3-beta.4", "1.2.4"], ["1.2.3-beta.1", "1.3.0"]),
        ("~>1.2", ["1.2.5"], ["1.3.0"]),
        # Caret: the left-most non-zero part may not change.
        ("^1.2.3", ["1.2.3", "1.99.0"], ["1.2.2", "2.0.0-0", "2.0.0"]),
        ("^0.2.3", ["0.2.3", "0.2.99"], ["0.3.0-0", "0.3.0", "0.2.2"]),
        ("^0.0.3", ["0.0.3"], ["0.0.4-0", "0.0.4", "0.0.2"]),
        ("^1.2.3-beta.2", ["1.2.3-beta.2", "1.2.3-beta.4", "1.9.0"], ["1.2.3-beta.1", "2.0.0"]),
        ("^0.0.3-beta", ["0.0.3-beta", "0.0.3-pr.2", "0.0.3"], ["0.0.4"]),
        ("^1.2.x", ["1.2.0", "1.99.0"], ["1.1.9", "2.0.0"]),
        ("^0.0.x", ["0.0.0", "0.0.99"], ["0.1.0"]),
        ("^0.0", ["0.0.0", "0.0.99"], ["0.1.0"]),
        ("^1.x", ["1.0.0", "1.99.0"], ["2.0.0", "0.9.0"]),
        ("^0.x", ["0.0.0", "0.99.0"], ["1.0.0"]),
        # Primitive comparators; whitespace is AND, || is OR, "" is any version.
        (">=1.2.7 <1.3.0", ["1.2.7", "1.2.8", "1.2.99"], ["1.2.6", "1.3.0", "1.1.0"]),
        ("1.2.7 || >=1.2.9 <2.0.0", ["1.2.7", "1.2.9", "1.4.6"], ["1.2.8", "2.0.0"]),
        (">= 1.2.3 < 2", ["1.2.3", "1.9.9"], ["2.0.0-0", "1.2.2"]),
        (">1.2.3", ["1.2.4"], ["1.2.3"]),
        ("<=1.2.3", ["1.2.3"], ["1.2.4"]),
        ("=1.2.3", ["1.2.3"], ["1.2.4", "1.2.3-0"]),
        ("1.2.3", ["1.2.3", "v1.2.3"], ["1.2.4"]),
        # An operator on a partial version moves to the edge of its band.
        (">1.2", ["1.3.0", "1.3.0-0"], ["1.2.99"]),
        (">1", ["2.0.0-0"], ["1.99.99"]),
        ("<1.2", ["1.1.99"], ["1.2.0-0"]),
        ("<=1.2", ["1.2.99"], ["1.3.0-0"]),
        (">=1.2", ["1.2.0-0", "1.2.0"], ["1.1.99"]),
        ("", ["0.0.1", "9.9.9-rc.1"], []),
        ("||", ["0.0.1"], []),
        ("npm:lodash@^4.17.0", ["4.17.21"], ["5.0.0", "4.16.0"]),
        ("npm:@types/node@18", ["18.11.0"], ["19.0.0"]),
    ],
)
def test_npm_ranges(spec: str, inside: list[str], outside: list[str]) -> None:
    assert_admits("npm", spec, inside, outside)


def test_npm_impossible_x_ranges_are_empty() -> None:
    npm = scheme("npm")
    assert npm.parse_constraint(">*").is_empty
    assert npm.parse_constraint("<*").is_empty
    assert npm.parse_constraint(">=2.0.0 <1.0.0").is_empty


@pytest.mark.parametrize(
    ("spec", "what"),
    [
        ("latest", "dist-tag"),
        ("next", "dist-tag"),
        ("git+https://github.com/npm/cli.git#v1.0.27", "git repository"),
        ("git://github.com/npm/cli.git", "git repository"),
        ("github:npm/cli", "GitHub repository"),
        ("npm/cli#semver:^5.0", "GitHub repository shorthand"),
        ("https://example.com/pkg-1.0.0.tgz", "tarball URL"),
        ("file:../local-package", "local file or directory path"),
        ("link:../local-package", "symlink"),
        ("workspace:^1.0.0", "workspace reference"),
        ("./vendor/pkg.tgz", "local path"),
        ("~/pkg", "local path"),
    ],
)
def test_npm_non_registry_specifiers_say_what_they_are(spec: str, what: str) -> None:
    with pytest.raises(InvalidConstraint, match=what):
        scheme("npm").parse_constraint(spec)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (">=abc", "not a valid npm range: '>=abc' is not a comparator"),
        ("1.2.3 - >2", "both ends of a hyphen range"),
        ("^1.2.3-01", "leading zero"),
        ("1.2.3.4", "not a comparator"),
    ],
)
def test_npm_invalid_ranges(spec: str, message: str) -> None:
    with pytest.raises(InvalidConstraint, match=message):
        scheme("npm").parse_constraint(spec)
