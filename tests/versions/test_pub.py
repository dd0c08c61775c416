"""Pub: pub_semver ordering (its version_test comparison list) and version constraints."""

from __future__ import annotations

import pytest

from deeptracy.versions import InvalidConstraint, InvalidVersion
from tests.versions.helpers import assert_admits, assert_ascending, assert_equal, scheme


def test_pub_semver_comparison_list() -> None:
    # Unlike SemVer, pub orders build metadata: 1.0.0 < 1.0.0+0.3.7.
    assert_ascending(
        "Pub",
        [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0-rc.1+build.1",
            "1.0.0",
            "1.0.0+0.3.7",
            "1.3.7+build",
            "1.3.7+build.2.b8f12d7",
            "1.3.7+build.11.e0f985a",
            "2.0.0",
            "2.1.0",
            "2.2.0",
            "2.11.0",
            "2.11.1",
        ],
    )


def test_leading_zeros_are_numbers() -> None:
    assert_equal("Pub", "01.2.3", "1.02.3", "1.2.03", "1.2.3")
    assert_equal("Pub", "1.2.3-01", "1.2.3-1")
    assert_equal("Pub", "1.2.3+01", "1.2.3+1")


def test_identifiers_dart_reads_as_integers_compare_as_numbers() -> None:
    # int.tryParse reads "0x10" as 16 and "-1" as -1; numbers sort before strings.
    assert_ascending("Pub", ["1.0.0--1", "1.0.0-0", "1.0.0-0x0f", "1.0.0-16", "1.0.0-a"])
    assert_equal("Pub", "1.0.0-0x10", "1.0.0-16")


@pytest.mark.parametrize(
    "bad", ["1.0", "1.2.3.4", "1234", "-2.3.4", "1.3-pre", "1.3+build", "1.3+bu?!3ild", ""]
)
def test_invalid_pub_versions(bad: str) -> None:
    with pytest.raises(InvalidVersion, match="not a valid Pub version"):
        scheme("Pub").parse(bad)


def test_osv_zero_reads_as_the_first_version() -> None:
    assert_equal("Pub", "0", "0.0.0")


@pytest.mark.parametrize(
    ("spec", "inside", "outside"),
    [
        ("any", ["0.0.1", "99.0.0-dev"], []),
        ("^1.2.3", ["1.2.3", "1.99.0"], ["2.0.0-0", "2.0.0", "1.2.2"]),
        # pub's caret below 1.0.0 spans the minor only, even at 0.0.x.
        ("^0.2.3", ["0.2.3", "0.2.99"], ["0.3.0-0", "0.3.0"]),
        ("^0.0.3", ["0.0.3", "0.0.99"], ["0.1.0", "0.0.2"]),
        ("^1.0.0-alpha", ["1.0.0-alpha", "1.5.0"], ["2.0.0"]),
        (">=1.0.0 <2.0.0", ["1.0.0", "1.9.9"], ["2.0.0-dev", "2.0.0", "0.9.9"]),
        (">=2.0.0-dev <2.0.0", ["2.0.0-dev", "2.0.0-rc.1"], ["2.0.0"]),
        ("<2.0.0+build", ["2.0.0-dev", "2.0.0"], ["2.0.0+build"]),
        (">2.0.4 <=2.4.6", ["2.0.5", "2.4.6"], ["2.0.4", "2.4.7"]),
        (">=1.0.0<2.0.0", ["1.5.0"], ["2.0.0"]),
        ("1.2.3", ["1.2.3"], ["1.2.3+1", "1.2.4"]),
        ("1.2.3 1.2.3", ["1.2.3"], ["1.2.4"]),
    ],
)
def test_pub_constraints(spec: str, inside: list[str], outside: list[str]) -> None:
    assert_admits("Pub", spec, inside, outside)


def test_contradicting_comparisons_are_empty() -> None:
    pub = scheme("Pub")
    assert pub.parse_constraint(">2.0.0 <1.0.0").is_empty
    assert pub.parse_constraint(">=1.0.0 <1.0.0").is_empty
    assert pub.parse_constraint("1.0.0 2.0.0").is_empty


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "it is empty"),
        ("^1.0.0 <2.0.0", "cannot be combined"),
        ("^", "expected a version after"),
        (">=", "expected a version after '>='"),
        ("1.0", "expected a version or a comparison"),
        ("~1.0.0", "expected a version or a comparison"),
    ],
)
def test_invalid_pub_constraints(spec: str, message: str) -> None:
    with pytest.raises(InvalidConstraint, match=message):
        scheme("Pub").parse_constraint(spec)
