"""NuGet: NuGet.Versioning order and version ranges, from the NuGet package versioning docs."""

from __future__ import annotations

import pytest

from deeptracy.versions import InvalidConstraint, InvalidVersion
from tests.versions.helpers import assert_admits, assert_ascending, assert_equal, scheme


def test_prerelease_order_from_the_documentation() -> None:
    # The docs list these newest first; labels compare as strings, without case.
    newest_first = [
        "1.0.1",
        "1.0.1-zzz",
        "1.0.1-rc",
        "1.0.1-open",
        "1.0.1-beta",
        "1.0.1-alpha2",
        "1.0.1-alpha10",
        "1.0.1-aaa",
    ]
    assert_ascending("NuGet", list(reversed(newest_first)))


def test_four_parts_and_semver2_labels() -> None:
    assert_ascending(
        "NuGet",
        [
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-beta.a",
            "1.0.0",
            "1.0.0.1",
            "1.0.1-alpha",
            "1.0.1",
            "1.1",
            "2.0.0.0",
        ],
    )


@pytest.mark.parametrize(
    "versions",
    [
        ("1.0", "1.0.0", "1.0.0.0", "1"),
        ("1.01.1", "1.1.1"),
        ("1.00", "1.0.0"),
        ("1.0.0-Beta", "1.0.0-beta", "1.0.0-BETA"),
        ("1.0.0+githash", "1.0.0", "1.0.0.0+other"),
        ("1.0.0-rc.1+build", "1.0.0-RC.1"),
    ],
)
def test_normalized_equalities(versions: tuple[str, ...]) -> None:
    assert_equal("NuGet", *versions)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("1.0.0.0.0", "one to four numeric parts"),
        ("abc", "one to four numeric parts"),
        ("1.0.0-", "one to four numeric parts"),
        ("2147483648.0", "exceeds 2147483647"),
        ("1.0.0-01", "leading zero"),
    ],
)
def test_invalid_nuget_versions(bad: str, message: str) -> None:
    with pytest.raises(InvalidVersion, match=message):
        scheme("NuGet").parse(bad)


# The version range table of the documentation.
@pytest.mark.parametrize(
    ("spec", "inside", "outside"),
    [
        ("1.0", ["1.0", "1.0.1", "99.0"], ["0.9", "1.0.0-beta"]),
        ("[1.0,)", ["1.0", "2.0"], ["0.9"]),
        ("(1.0,)", ["1.0.1", "1.0.0.1"], ["1.0", "0.9"]),
        ("[1.0]", ["1.0", "1.0.0.0"], ["1.0.1"]),
        ("(,1.0]", ["0.1", "1.0"], ["1.0.1"]),
        ("(,1.0)", ["0.9", "1.0.0-rc"], ["1.0"]),
        ("[1.0,2.0]", ["1.0", "2.0"], ["2.0.1"]),
        ("(1.0,2.0)", ["1.5"], ["1.0", "2.0"]),
        ("[1.0,2.0)", ["1.0", "1.9", "2.0.0-beta"], ["2.0"]),
        ("[1, 3)", ["1", "2.9"], ["0.9", "3.0"]),
        # Floating versions read as the band they float over.
        ("*", ["0.0.1", "99.0"], []),
        ("*-*", ["0.0.1-alpha", "99.0"], []),
        ("1.*", ["1.0", "1.9.9"], ["2.0", "0.9", "2.0.0-alpha"]),
        ("1.1.*", ["1.1.0", "1.1.1", "1.1.9"], ["1.2.0-alpha", "1.0.9"]),
        ("1.1.1.*", ["1.1.1.0", "1.1.1.7"], ["1.1.2"]),
        ("1.1.*-*", ["1.1.0", "1.1.2-alpha", "1.1.2-beta"], ["1.2.0-beta", "1.0.9"]),
        ("1.*-*", ["1.0.0", "1.3.0-beta"], ["2.0.0-alpha", "0.9.9"]),
        ("1.0.0-*", ["1.0.0-alpha", "1.0.0-rc.2", "1.0.0"], ["1.0.1", "0.9.9"]),
        ("1.0.0-rc.*", ["1.0.0-rc.1", "1.0.0"], ["1.0.1"]),
        ("[1.*, 2.0)", ["1.0", "1.9"], ["2.0", "0.9"]),
    ],
)
def test_nuget_ranges(spec: str, inside: list[str], outside: list[str]) -> None:
    assert_admits("NuGet", spec, inside, outside)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("(1.0)", "a single version must be written"),
        ("(,)", "one version or two bounds"),
        ("[1.0,2.0,3.0]", "one version or two bounds"),
        ("[2.0,1.0]", "its bounds are reversed"),
        ("(1.0,1.0]", "its bounds are reversed"),
        ("[1.0,2.*)", "the upper bound cannot float"),
        ("[1.0,2.0", "must end with ']' or '\\)'"),
        ("1.*.0", "not a floating version"),
        ("", "it is empty"),
        ("latest", "not a valid NuGet version"),
    ],
)
def test_invalid_nuget_ranges(spec: str, message: str) -> None:
    with pytest.raises(InvalidConstraint, match=message):
        scheme("NuGet").parse_constraint(spec)
