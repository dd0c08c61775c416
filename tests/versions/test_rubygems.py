"""RubyGems: Gem::Version order (its documentation and spaceship cases) and requirements."""

from __future__ import annotations

import pytest

from deeptracy.versions import InvalidConstraint, InvalidVersion
from tests.versions.helpers import assert_admits, assert_ascending, assert_equal, scheme


def test_prereleases_sort_between_releases() -> None:
    # Gem::Version's documentation, oldest first: 0.9, 1.0.a.2, 1.0.b1, 1.0.
    assert_ascending("RubyGems", ["0.9", "1.0.a.2", "1.0.b1", "1.0"])


@pytest.mark.parametrize(
    ("low", "high"),
    [
        ("1.0.a", "1.0"),
        ("0.0.0", "1.8.2"),
        ("1.8.2.a", "1.8.2"),
        ("1.8.2.a", "1.8.2.b"),
        ("1.8.2.a9", "1.8.2.a10"),
        ("3.2", "3.10"),
        ("0.0.beta", "0.0.beta.1"),
        ("0.0.beta", "0.beta.1"),
        ("5.a", "5.0.0.rc2"),
        ("5.0.0.rc2", "5.x"),
        ("1.0.0-1", "1.0.0"),
        ("1.0.0-rc1", "1.0.0-rc2"),
        ("1.a", "1.0.1"),
        ("1.0", "1.0.0.1"),
    ],
)
def test_gem_version_ordering(low: str, high: str) -> None:
    assert_ascending("RubyGems", [low, high])


@pytest.mark.parametrize(
    "versions",
    [
        ("1.0", "1", "1.0.0", " 1.0 "),
        ("0.beta.1", "0.0.beta.1"),
        ("1.0.a", "1.a", "1.0.0.a"),
        ("1.0.0.a.1.0", "1.a.1"),
        ("1.2.3-1", "1.2.3.pre.1"),
        ("0", "0.0"),
    ],
)
def test_gem_version_equalities(versions: tuple[str, ...]) -> None:
    assert_equal("RubyGems", *versions)


@pytest.mark.parametrize("bad", ["", "1a", "1..0", "1.0.", "a.1", "1.0-x86_64_linux", "1 0"])
def test_invalid_gem_versions(bad: str) -> None:
    with pytest.raises(InvalidVersion, match="not a valid RubyGems version"):
        scheme("RubyGems").parse(bad)


@pytest.mark.parametrize(
    ("spec", "inside", "outside"),
    [
        # Gem::Version's table of pessimistic requirements.
        ("~> 3.0", ["3.0", "3.9.9"], ["2.9", "4.0", "4.0.a"]),
        ("~> 3.0.0", ["3.0.0", "3.0.9"], ["3.1", "3.1.a"]),
        ("~> 3.5", ["3.5", "3.9"], ["3.4.9", "4.0"]),
        ("~> 3.5.0", ["3.5.0", "3.5.9"], ["3.6"]),
        ("~> 3", ["3.0", "3.9"], ["4.0", "2.9"]),
        ("~> 2.1", ["2.1", "2.9.9", "2.5.a"], ["3.0", "3.0.a", "2.0.9"]),
        ("~> 1.0.a", ["1.0.a", "1.0", "1.5"], ["2.0", "0.9"]),
        ("~> 0.0.1", ["0.0.1", "0.0.9"], ["0.1", "0.1.a"]),
        (">= 3.0", ["3.0", "99"], ["2.9", "3.0.a"]),
        (">= 1.0, < 2", ["1.0", "1.9", "2.a"], ["2", "0.9"]),
        ("!= 1.5", ["1.4", "1.5.1"], ["1.5", "1.5.0"]),
        ("= 1.0", ["1.0", "1"], ["1.0.1"]),
        ("1.0", ["1.0"], ["1.1"]),
        ("> 1", ["1.0.1"], ["1", "1.0"]),
        ("<= 2", ["2.0", "1"], ["2.0.1"]),
        ("", ["0.1", "99"], []),
    ],
)
def test_gem_requirements(spec: str, inside: list[str], outside: list[str]) -> None:
    assert_admits("RubyGems", spec, inside, outside)


@pytest.mark.parametrize("spec", ["~> a", ">> 1", "1.0 beta", ">= 1.0,", "~>"])
def test_invalid_gem_requirements(spec: str) -> None:
    with pytest.raises(InvalidConstraint, match="not a valid RubyGems requirement"):
        scheme("RubyGems").parse_constraint(spec)
