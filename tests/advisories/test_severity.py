import pytest

from deeptracy.advisories.severity import assess_severity, score_vector
from deeptracy.severity import Severity

V2 = "AV:N/AC:L/Au:N/C:P/I:P/A:P"  # 7.5
V3 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"  # 9.8
V3_LOW = "CVSS:3.0/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N"  # 1.8
V4 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"  # 9.3


@pytest.mark.parametrize(
    ("kind", "vector", "score", "rating"),
    [
        ("CVSS_V2", V2, 7.5, Severity.HIGH),
        ("CVSS_V3", V3, 9.8, Severity.CRITICAL),
        ("CVSS_V3", V3_LOW, 1.8, Severity.LOW),
        ("CVSS_V4", V4, 9.3, Severity.CRITICAL),
    ],
)
def test_vectors_are_scored_by_the_cvss_library(
    kind: str, vector: str, score: float, rating: Severity
) -> None:
    info = score_vector(kind, vector)
    assert (info.score, info.severity, info.vector) == (score, rating, vector)


def test_the_newest_cvss_version_wins_then_the_highest_score() -> None:
    info, notes = assess_severity([("CVSS_V2", V2), ("CVSS_V4", V4), ("CVSS_V3", V3)])
    assert (info.score, info.vector, notes) == (9.3, V4, [])
    info, _ = assess_severity([("CVSS_V3", V3_LOW), ("CVSS_V3", V3)])
    assert info.score == 9.8


def test_ghsa_word_is_only_a_fallback() -> None:
    info, _ = assess_severity([], {"severity": "MODERATE"})
    assert (info.severity, info.score, info.vector) == (Severity.MEDIUM, None, None)
    info, _ = assess_severity([("CVSS_V3", V3_LOW)], {"severity": "CRITICAL"})
    assert info.severity is Severity.LOW


def test_no_information_is_unknown_never_low() -> None:
    info, notes = assess_severity([], {})
    assert info.severity is Severity.UNKNOWN and info.score is None and notes == []


def test_bad_vectors_are_noted_and_ignored() -> None:
    info, notes = assess_severity(
        [("CVSS_V3", "CVSS:3.1/AV:X"), ("CVSS_V2", "nonsense")], {"severity": "HIGH"}
    )
    assert info.severity is Severity.HIGH
    assert notes[0].startswith("invalid CVSS_V3 vector 'CVSS:3.1/AV:X'")
    assert notes[1].startswith("invalid CVSS_V2 vector 'nonsense'")
    info, notes = assess_severity([], {"severity": "SEVERE"})
    assert info.severity is Severity.UNKNOWN
    assert "unknown severity 'SEVERE'" in notes[0]


def test_ubuntu_words_and_unknown_types() -> None:
    info, _ = assess_severity([("Ubuntu", "medium"), ("FUTURE_SCORE", "42")])
    assert info.severity is Severity.MEDIUM
    info, _ = assess_severity([("Ubuntu", "negligible")])
    assert info.severity is Severity.LOW
    with pytest.raises(ValueError, match="unsupported severity type"):
        score_vector("CVSS_V5", "x")
