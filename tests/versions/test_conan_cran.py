"""ConanCenter (Conan 2's loose version order) and CRAN (R's package_version)."""

from __future__ import annotations

import pytest

from deeptracy.versions import InvalidConstraint, InvalidVersion
from tests.versions.helpers import assert_ascending, assert_equal, scheme


def test_conan_order() -> None:
    assert_ascending(
        "ConanCenter",
        ["0.9", "1.0-pre", "1.0", "1.0+1", "1.0+2", "1.0.1", "1.2", "1.10", "1.10.a", "1.a"],
    )


def test_conan_trailing_zeros_do_not_count() -> None:
    assert_equal("ConanCenter", "1.2", "1.2.0", "1.2.0.0")
    assert_equal("ConanCenter", "1.2-rc", "1.2.0-rc")


@pytest.mark.parametrize("bad", ["", "1..2", "1.2-", "1.2+", "1 2", "1.2+a b"])
def test_invalid_conan_versions(bad: str) -> None:
    with pytest.raises(InvalidVersion, match="not a valid ConanCenter version"):
        scheme("ConanCenter").parse(bad)


def test_cran_order_and_separators() -> None:
    # R compares components as numbers, and a prefix sorts first: 1.0 < 1.0.0 < 1.0-1.
    assert_ascending("CRAN", ["0.9", "1.0", "1.0.0", "1.0-1", "1.1", "1.9-10", "1.10", "2.0"])
    assert_equal("CRAN", "1.0-1", "1.0.1")
    assert_equal("CRAN", "1.01", "1.1")


@pytest.mark.parametrize("bad", ["", "1.0a", "1..0", "v1.0", "1.0-"])
def test_invalid_cran_versions(bad: str) -> None:
    with pytest.raises(InvalidVersion, match=r"not a valid CRAN version \(integers separated"):
        scheme("CRAN").parse(bad)


@pytest.mark.parametrize("ecosystem", ["ConanCenter", "CRAN", "SwiftURL"])
def test_no_range_syntax_is_read_for(ecosystem: str) -> None:
    with pytest.raises(InvalidConstraint, match="declared version ranges are not supported"):
        scheme(ecosystem).parse_constraint(">=1.0")
