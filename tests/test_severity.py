import pytest

from deeptracy.severity import Severity


@pytest.mark.parametrize(
    ("score", "rating"),
    [
        (0.0, "NONE"),
        (0.1, "LOW"),
        (3.9, "LOW"),
        (4.0, "MEDIUM"),
        (6.9, "MEDIUM"),
        (7.0, "HIGH"),
        (8.9, "HIGH"),
        (9.0, "CRITICAL"),
        (10.0, "CRITICAL"),
    ],
)
def test_cvss_bands(score: float, rating: str) -> None:
    assert Severity.from_score(score) is Severity(rating)


def test_out_of_range_score() -> None:
    with pytest.raises(ValueError, match="outside"):
        Severity.from_score(10.5)


def test_parse_and_thresholds() -> None:
    assert Severity.parse("moderate") is Severity.MEDIUM
    assert Severity.parse(" high ") is Severity.HIGH
    with pytest.raises(ValueError, match="unknown severity 'severe'"):
        Severity.parse("severe")
    assert Severity.UNKNOWN.at_least(Severity.LOW)
    assert not Severity.UNKNOWN.at_least(Severity.MEDIUM)
    assert Severity.CRITICAL.at_least(Severity.HIGH)
    assert sorted(Severity, key=lambda s: s.rank)[0] is Severity.NONE
