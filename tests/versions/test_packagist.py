"""Packagist: Composer normalization, ordering and constraints (Composer's versions article and
the normalization cases of its VersionParser tests)."""

from __future__ import annotations

import pytest

from deeptracy.versions import InvalidConstraint, InvalidVersion
from deeptracy.versions.packagist import normalize
from tests.versions.helpers import assert_admits, assert_ascending, assert_equal, scheme


@pytest.mark.parametrize(
    ("version", "normalized"),
    [
        ("1.0.0", "1.0.0.0"),
        ("1.2.3.4", "1.2.3.4"),
        ("1.0.0RC1dev", "1.0.0.0-RC1-dev"),
        ("1.0.0-rC15-dev", "1.0.0.0-RC15-dev"),
        ("1.0.0.RC.15-dev", "1.0.0.0-RC15-dev"),
        ("1.0.0-rc1", "1.0.0.0-RC1"),
        ("1.0.0.pl3-dev", "1.0.0.0-patch3-dev"),
        ("1.0-dev", "1.0.0.0-dev"),
        ("0", "0.0.0.0"),  # noqa: S104 (a version, not an address)
        ("10.4.13-beta", "10.4.13.0-beta"),
        ("10.4.13beta2", "10.4.13.0-beta2"),
        ("10.4.13beta.2", "10.4.13.0-beta2"),
        ("10.4.13-b", "10.4.13.0-beta"),
        ("10.4.13-b5", "10.4.13.0-beta5"),
        ("v1.0.0", "1.0.0.0"),
        ("2010.01", "2010.01.0.0"),
        ("2010.01.02", "2010.01.02.0"),
        ("2010.1.555", "2010.1.555.0"),
        ("20100102-203040", "20100102.203040"),
        ("20100102-203040-p1", "20100102.203040-patch1"),
        ("1.0.0+foo", "1.0.0.0"),
        ("1.0.0-stable", "1.0.0.0"),
        ("dev-master", "dev-master"),
        ("dev-master as 1.0.0", "dev-master"),
        ("1.x-dev", "1.9999999.9999999.9999999-dev"),
        ("2.1.x-dev", "2.1.9999999.9999999-dev"),
    ],
)
def test_normalization(version: str, normalized: str) -> None:
    assert normalize(version) == normalized


def test_stability_order() -> None:
    assert_ascending(
        "Packagist",
        [
            "1.0.0-dev",
            "1.0.0-alpha",
            "1.0.0-alpha2",
            "1.0.0-beta1",
            "1.0.0-beta2-dev",
            "1.0.0-beta2",
            "1.0.0-RC1",
            "1.0.0",
            "1.0.0-patch1",
            "1.0.0-p2",
            "1.0.0.1",
            "1.0.1",
            "1.1.x-dev",
            "1.2",
            "2010.01.02",
        ],
    )


def test_spellings_that_normalize_alike_are_equal() -> None:
    assert_equal("Packagist", "v1.0.0", "1.0", "1.0.0.0", "1.0.0+build", "V1.0")
    assert_equal("Packagist", "1.0.0-rc1", "1.0.0RC1", "1.0.0.rc.1")
    assert_equal("Packagist", "1.0.0-a", "1.0.0-alpha")
    assert_equal("Packagist", "1.0.0@dev", "1.0.0")  # a stability flag is not part of it


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("dev-main", "is a Composer branch"),
        ("master", r"is a Composer branch \(dev-master\)"),
        ("feature-x", "not a valid Composer version"),
        ("1.0.0-foo", "not a valid Composer version"),
        ("", "not a valid Composer version"),
    ],
)
def test_invalid_composer_versions(bad: str, message: str) -> None:
    with pytest.raises(InvalidVersion, match=message):
        scheme("Packagist").parse(bad)


# Composer's versions article, with its stated equivalents.
@pytest.mark.parametrize(
    ("spec", "inside", "outside"),
    [
        ("1.0.2", ["1.0.2", "v1.0.2.0"], ["1.0.3", "1.0.2-beta"]),
        (">=1.0", ["1.0", "1.0.0-beta", "9.0"], ["0.9.9"]),
        (">=1.0 <2.0", ["1.0", "1.9.9"], ["2.0", "2.0.0-RC1"]),
        (">=1.0,<2.0", ["1.5"], ["2.0"]),
        (">=1.0 <1.1 || >=1.2", ["1.0", "1.2", "9.0"], ["1.1", "1.1.5"]),
        (">=1.0 <1.1 | >=1.2", ["1.0", "1.2"], ["1.1"]),
        ("1.0 - 2.0", ["1.0.0", "2.0.9", "1.0.0-beta"], ["2.1.0", "2.1.0-dev"]),
        ("1.0.0 - 2.1.0", ["1.0.0", "2.1.0"], ["2.1.0.1", "2.1.1"]),
        ("1.0.*", ["1.0.0", "1.0.99", "1.0.0-beta"], ["1.1.0", "1.1.0-dev"]),
        ("~1.2", ["1.2.0", "1.9.9"], ["2.0.0", "1.1.9"]),
        ("~1.2.3", ["1.2.3", "1.2.99"], ["1.3.0", "1.2.2"]),
        ("~1", ["1.0.0", "1.9.9"], ["2.0.0"]),
        ("^1.2.3", ["1.2.3", "1.99.0"], ["2.0.0", "2.0.0-beta", "1.2.2"]),
        ("^0.3", ["0.3.0", "0.3.99"], ["0.4.0", "0.2.9"]),
        ("^0.0.3", ["0.0.3"], ["0.0.4"]),
        ("^1.0@dev", ["1.0.0-dev", "1.5"], ["2.0"]),
        ("*", ["0.0.1", "99.0"], []),
        ("1.*", ["1.0", "1.9"], ["2.0"]),
        ("!=1.5", ["1.4", "1.5.1"], ["1.5.0.0"]),
        ("<>1.5", ["1.4"], ["1.5"]),
        ("> 1.0", ["1.0.1"], ["1.0"]),
        ("<=1.0", ["1.0", "1.0.0-RC1"], ["1.0.0-patch1", "1.0.1"]),
        (">=1.0.0-beta1", ["1.0.0-beta1", "1.0.0-RC1"], ["1.0.0-alpha9"]),
        (">=1.0@beta", ["1.0.0-beta1"], ["1.0.0-alpha1"]),
        ("==1.2.3", ["1.2.3"], ["1.2.4"]),
        # A flag folds into a stable bound of other operators, not into an unstable one.
        (">1.0@alpha", ["1.0.0-beta"], ["1.0.0-alpha"]),
        (">1.0-beta1@alpha", ["1.0.0-beta2"], ["1.0.0-beta1"]),
        ("1.0@dev", ["1.0.0"], ["1.0.0-dev"]),
    ],
)
def test_composer_constraints(spec: str, inside: list[str], outside: list[str]) -> None:
    assert_admits("Packagist", spec, inside, outside)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("dev-master", "names a branch"),
        ("dev-feature/foo#abc123", "names a branch"),
        ("~>1.2", "'~>' is not a Composer operator"),
        ("", "it is empty"),
        ("foo", "invalid version string"),
        (">=", "invalid version string"),
        ("1.0 - >2", "both ends of a hyphen range"),
    ],
)
def test_invalid_composer_constraints(spec: str, message: str) -> None:
    with pytest.raises(InvalidConstraint, match=message):
        scheme("Packagist").parse_constraint(spec)
