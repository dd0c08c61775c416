"""crates.io (Cargo requirements), Hex (Elixir requirements) and SwiftURL: SemVer order."""

from __future__ import annotations

import pytest

from deeptracy.versions import InvalidConstraint, InvalidVersion
from tests.versions.helpers import assert_admits, assert_ascending, assert_equal, scheme

SEMVER_SPEC_CHAIN = [
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0",
    "2.0.0",
    "2.1.0",
    "2.1.1",
]


@pytest.mark.parametrize("ecosystem", ["crates.io", "Hex", "SwiftURL", "npm"])
def test_semver_precedence_chain_from_the_specification(ecosystem: str) -> None:
    assert_ascending(ecosystem, SEMVER_SPEC_CHAIN)


@pytest.mark.parametrize("ecosystem", ["crates.io", "Hex"])
def test_crates_and_hex_take_no_prefix(ecosystem: str) -> None:
    with pytest.raises(InvalidVersion, match=f"'v1.0.0' is not a valid {ecosystem} version"):
        scheme(ecosystem).parse("v1.0.0")


def test_swift_tags_may_carry_v() -> None:
    assert_equal("SwiftURL", "v5.6.0", "5.6.0", "5.6.0+meta")


# Cargo's documented requirement table
# (https://doc.rust-lang.org/cargo/reference/specifying-dependencies.html).
@pytest.mark.parametrize(
    ("spec", "inside", "outside"),
    [
        ("1.2.3", ["1.2.3", "1.9.9"], ["1.2.2", "2.0.0"]),
        ("^1.2.3", ["1.2.3", "1.99.0"], ["2.0.0", "2.0.0-alpha"]),
        ("^1.2", ["1.2.0", "1.9.0"], ["1.1.9", "2.0.0"]),
        ("^1", ["1.0.0", "1.9.9"], ["0.9.9", "2.0.0"]),
        ("^0.2.3", ["0.2.3", "0.2.9"], ["0.2.2", "0.3.0"]),
        ("^0.2", ["0.2.0", "0.2.9"], ["0.3.0", "0.1.9"]),
        ("^0.0.3", ["0.0.3"], ["0.0.4", "0.0.2"]),
        ("^0.0", ["0.0.0", "0.0.9"], ["0.1.0"]),
        ("^0", ["0.0.0", "0.9.9"], ["1.0.0"]),
        ("~1.2.3", ["1.2.3", "1.2.9"], ["1.3.0", "1.2.2"]),
        ("~1.2", ["1.2.0", "1.2.9"], ["1.3.0"]),
        ("~1", ["1.0.0", "1.9.9"], ["2.0.0"]),
        ("*", ["0.0.0", "99.0.0"], []),
        ("1.*", ["1.0.0", "1.9.9"], ["2.0.0", "0.9.9"]),
        ("1.2.*", ["1.2.0", "1.2.9"], ["1.3.0", "1.1.9"]),
        (">= 1.2.0", ["1.2.0", "9.0.0"], ["1.1.9"]),
        ("> 1", ["2.0.0"], ["1.9.9"]),
        ("< 2", ["1.9.9"], ["2.0.0"]),
        ("= 1.2.3", ["1.2.3"], ["1.2.4"]),
        (">= 1.2, < 1.5", ["1.2.0", "1.4.9"], ["1.1.9", "1.5.0"]),
        # Partial comparators compare only the parts that are given.
        ("=1.2", ["1.2.0", "1.2.99"], ["1.1.9", "1.3.0"]),
        (">1.2", ["1.3.0"], ["1.2.99"]),
        ("<=1", ["1.99.0"], ["2.0.0"]),
        ("<1.2", ["1.1.99"], ["1.2.0"]),
        (">=1.0.0-alpha.1, <1.0.0", ["1.0.0-alpha.1", "1.0.0-beta"], ["1.0.0", "1.0.0-alpha"]),
    ],
)
def test_cargo_requirements(spec: str, inside: list[str], outside: list[str]) -> None:
    assert_admits("crates.io", spec, inside, outside)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "it is empty"),
        ("01.2", "'01.2' is not an operator"),
        ("1.*.3", "only wildcards may follow a wildcard"),
        (">= x.y", "is not an operator"),
        ("1.2.3-01", "leading zero"),
        ("1.2.3,", "'' is not an operator"),
    ],
)
def test_cargo_invalid_requirements(spec: str, message: str) -> None:
    with pytest.raises(InvalidConstraint, match=message):
        scheme("crates.io").parse_constraint(spec)


# The translation table of Elixir's Version documentation.
@pytest.mark.parametrize(
    ("spec", "inside", "outside"),
    [
        ("~> 2.0.0", ["2.0.0", "2.0.9"], ["2.1.0", "1.9.9"]),
        ("~> 2.1.2", ["2.1.2", "2.1.9"], ["2.2.0", "2.1.1"]),
        ("~> 2.1.3-dev", ["2.1.3-dev", "2.1.3", "2.1.9"], ["2.2.0", "2.1.2"]),
        ("~> 2.0", ["2.0.0", "2.9.9"], ["3.0.0", "1.9.9"]),
        ("~> 2.1", ["2.1.0", "2.9.9"], ["2.0.9", "3.0.0"]),
        # ~> never admits a pre-release of its upper bound.
        ("~> 2.0", ["2.5.0-rc.1"], ["3.0.0-rc.0", "3.0.0-0"]),
        ("== 2.0.0", ["2.0.0", "2.0.0+build"], ["2.0.1"]),
        ("2.0.0", ["2.0.0"], ["2.0.1"]),
        ("> 2.0.0", ["2.0.1"], ["2.0.0"]),
        (">= 2.0.0 and < 2.1.0", ["2.0.0", "2.0.9"], ["2.1.0", "1.9.9"]),
        ("< 1.0.0 or >= 2.0.0", ["0.9.0", "2.0.0"], ["1.0.0", "1.9.9"]),
        ("!= 1.2.3", ["1.2.2", "1.2.4"], ["1.2.3"]),
        ("<= 1.2.3", ["1.2.3"], ["1.2.4"]),
        (">= 1.0.0 and < 2.0.0 or == 3.0.0", ["1.5.0", "3.0.0"], ["2.0.0", "3.0.1"]),
    ],
)
def test_hex_requirements(spec: str, inside: list[str], outside: list[str]) -> None:
    assert_admits("Hex", spec, inside, outside)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (">= 2.0", "only ~> accepts a MAJOR.MINOR version"),
        ("~> 2", "is not an operator"),
        ("=> 2.0.0", "is not an operator"),
        ("", "it is empty"),
        ("~> 2.0 and", "is not an operator"),
    ],
)
def test_hex_invalid_requirements(spec: str, message: str) -> None:
    with pytest.raises(InvalidConstraint, match=message):
        scheme("Hex").parse_constraint(spec)


def test_go_has_no_range_syntax() -> None:
    with pytest.raises(InvalidConstraint, match="declared version ranges are not supported for Go"):
        scheme("Go").parse_constraint("v1.2.3")
    with pytest.raises(InvalidVersion, match="not a valid Go module version"):
        scheme("Go").parse("vv1.2.3")
