"""Maven: ComparableVersion order (the lists and pairs of Maven 3.9's ComparableVersionTest and
the POM reference's version order examples) and version ranges."""

from __future__ import annotations

import pytest

from deeptracy.versions import InvalidConstraint, InvalidVersion
from tests.versions.helpers import assert_admits, assert_ascending, assert_equal, scheme

VERSIONS_QUALIFIER = [
    "1-alpha2snapshot", "1-alpha2", "1-alpha-123", "1-beta-2", "1-beta123", "1-m2", "1-m11",
    "1-rc", "1-cr2", "1-rc123", "1-SNAPSHOT", "1", "1-sp", "1-sp2", "1-sp123", "1-abc", "1-def",
    "1-pom-1", "1-1-snapshot", "1-1", "1-2", "1-123",
]  # fmt: skip

VERSIONS_NUMBER = [
    "2.0", "2.0.a", "2-1", "2.0.2", "2.0.123", "2.1.0", "2.1-a", "2.1b", "2.1-c", "2.1-1",
    "2.1.0.1", "2.2", "2.123", "11.a2", "11.a11", "11.b2", "11.b11", "11.m2", "11.m11", "11",
    "11.a", "11b", "11c", "11m",
]  # fmt: skip


@pytest.mark.parametrize("versions", [VERSIONS_QUALIFIER, VERSIONS_NUMBER], ids=["qual", "num"])
def test_comparable_version_ordered_lists(versions: list[str]) -> None:
    assert_ascending("Maven", versions)


@pytest.mark.parametrize(
    "versions",
    [
        ("1", "1.0", "1.0.0", "1-0", "1.0-0", "1.ga", "1-ga", "1.final", "1-final", "1.release"),
        ("1a", "1-a", "1.0-a", "1.0.0-a", "1.0a", "1.0.0a"),
        ("1x", "1-x", "1.0-x", "1.0.0-x", "1.0x", "1.0.0x"),
        ("1cr", "1rc", "1Cr", "1cR", "1-RC"),
        ("1a1", "1-alpha-1", "1alpha1", "1A1"),
        ("1b2", "1-beta-2", "1beta2"),
        ("1m3", "1-milestone-3", "1Milestone3", "1MILESTONE3"),
        ("1.0.RC1", "1.0-RC1", "1-rc-1", "1.0.0-rc1"),
        ("1.0-alpha1", "1.0-ALPHA1"),
        ("1-abcdefghijklmnopqrstuvwxyz", "1-ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
        ("1", "0000000000000000001", "0001"),
        ("0", "000000000", "0.0"),
        ("5.3.1.RELEASE", "5.3.1"),
    ],
)
def test_comparable_version_equalities(versions: tuple[str, ...]) -> None:
    assert_equal("Maven", *versions)


@pytest.mark.parametrize(
    ("low", "high"),
    [
        ("1", "2"), ("1.5", "2"), ("1", "2.5"), ("1.0", "1.1"), ("1.1", "1.2"),
        ("1.0.0", "1.1"), ("1.0.1", "1.1"), ("1.1", "1.2.0"),
        ("1.0-alpha-1", "1.0"), ("1.0-alpha-1", "1.0-alpha-2"), ("1.0-alpha-1", "1.0-beta-1"),
        ("1.0-beta-1", "1.0-SNAPSHOT"), ("1.0-SNAPSHOT", "1.0"),
        ("1.0-alpha-1-SNAPSHOT", "1.0-alpha-1"), ("1.0", "1.0-1"), ("1.0-1", "1.0-2"),
        ("1.0.0", "1.0-1"), ("2.0-1", "2.0.1"), ("2.0.1-klm", "2.0.1-lmn"),
        ("2.0.1", "2.0.1-xyz"), ("2.0.1", "2.0.1-123"), ("2.0.1-xyz", "2.0.1-123"),
        # MNG-5568, MNG-6572 (numbers beyond int and long), MNG-6964.
        ("6.1.0rc3", "6.1.0"), ("6.1.0rc3", "6.1H.5-beta"), ("6.1.0", "6.1H.5-beta"),
        ("20190126.230843", "1234567890.12345"),
        ("1234567890.12345", "123456789012345.1H.5-beta"),
        ("123456789012345.1H.5-beta", "12345678901234567890.1H.5-beta"),
        ("1-0.alpha", "1"), ("1-0.beta", "1"), ("1-0.alpha", "1-0.beta"),
        ("1.0", "1.0-sp1"),
        # The POM reference's version order examples.
        ("1-foo2", "1-foo10"), ("1.foo", "1-1"), ("1-1", "1.1"), ("1-snapshot", "1"),
        ("1", "1-sp"), ("1-ga", "1-sp"), ("1-ga.1", "1-sp.1"), ("1-sp-1", "1-ga-1"),
        ("1.K", "1.7"), ("5.aardvark", "5.zebra"),
        ("1.b", "1.\u03b1"),  # the Greek letter alpha is an unknown qualifier
    ],
)  # fmt: skip
def test_comparable_version_ordered_pairs(low: str, high: str) -> None:
    assert_ascending("Maven", [low, high])


@pytest.mark.parametrize("x", ["abc", "alpha", "a", "beta", "b", "def", "milestone", "m", "RC"])
def test_dot_qualifier_reads_as_dash_qualifier(x: str) -> None:
    # MNG-7644: 1.0.0.X1 < 1.0.0-X2, and 2.0.X1 == 2-X1 == 2.0.0.X1 for any qualifier X.
    assert_ascending("Maven", [f"1.0.0.{x}1", f"1.0.0-{x}2"])
    assert_equal("Maven", f"2-{x}1", f"2.0.{x}1", f"2.0.0.{x}1")


def test_known_qualifiers_order_and_unknown_ones_sort_after_them() -> None:
    chain = ["1-alpha", "1-beta", "1-milestone", "1-rc", "1-snapshot", "1", "1-sp", "1-aaa"]
    assert_ascending("Maven", [*chain, "1-zzz", "1-1"])


@pytest.mark.parametrize("bad", ["", "   ", "1.0 beta", "[1.0]", "1,2"])
def test_invalid_maven_versions(bad: str) -> None:
    with pytest.raises(InvalidVersion, match="not a valid Maven version"):
        scheme("Maven").parse(bad)


# The POM reference's dependency version requirement examples.
@pytest.mark.parametrize(
    ("spec", "inside", "outside"),
    [
        ("1.0", ["1.0", "1"], ["1.1", "0.9"]),
        ("[1.0]", ["1.0", "1.0.0"], ["1.0.1"]),
        ("(,1.0]", ["0.1", "1.0", "1.0-SNAPSHOT"], ["1.0.1", "1-1"]),
        ("[1.2,1.3]", ["1.2", "1.2.9", "1.3"], ["1.1", "1.3.1"]),
        ("[1.0,2.0)", ["1.0", "1.9.9", "2.0-rc1", "2.0-SNAPSHOT"], ["2.0", "0.9"]),
        ("[1.5,)", ["1.5", "99"], ["1.4"]),
        ("(,1.0],[1.2,)", ["1.0", "1.2", "3"], ["1.1", "1.1.9"]),
        ("(,1.1),(1.1,)", ["1.0", "1.2"], ["1.1"]),
        ("(1.0,2.0)", ["1.0.1"], ["1.0", "2.0"]),
        (" [ 1.0 , 2.0 ] ", ["1.0", "2.0"], ["2.0.1"]),
    ],
)
def test_maven_ranges(spec: str, inside: list[str], outside: list[str]) -> None:
    assert_admits("Maven", spec, inside, outside)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("(1.0)", "a single version must be written"),
        ("[2.0,1.0]", "its bounds are reversed"),
        ("[1.0,1.0)", "its bounds are reversed"),
        ("[1.0,2.0),[1.5,3.0)", "ranges overlap"),
        ("[1.0", "not closed"),
        ("[1.0,2.0],3.0", "only bracketed ranges may be combined"),
        ("[1.0,2.0,3.0]", "more than one ','"),
        ("${project.version}", "unresolved property"),
        ("LATEST", "meta-version"),
        ("", "it is empty"),
        ("[1.0 beta,2.0]", "not a valid Maven version"),
    ],
)
def test_invalid_maven_ranges(spec: str, message: str) -> None:
    with pytest.raises(InvalidConstraint, match=message):
        scheme("Maven").parse_constraint(spec)
