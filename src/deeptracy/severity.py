"""Severity ratings shared by advisories, findings, reports and notification policies."""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    """Qualitative rating. UNKNOWN means no information, and is never silently LOW."""

    CRITICAL = "CRITICAL"
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"
    NONE = "NONE"
    UNKNOWN = "UNKNOWN"

    @property
    def rank(self) -> int:
        """Higher is more severe; UNKNOWN ranks between LOW and MEDIUM so it is not hidden by a
        LOW threshold, yet never outranks a known MEDIUM."""
        return _RANK[self]

    @classmethod
    def from_score(cls, score: float) -> Severity:
        """The CVSS v3/v4 qualitative band of a base score (0.0-10.0)."""
        if not 0.0 <= score <= 10.0:
            raise ValueError(f"CVSS base score {score} is outside 0.0-10.0")
        if score == 0.0:
            return cls.NONE
        if score < 4.0:
            return cls.LOW
        if score < 7.0:
            return cls.MEDIUM
        if score < 9.0:
            return cls.HIGH
        return cls.CRITICAL

    @classmethod
    def parse(cls, text: str) -> Severity:
        """A rating written in any case; GHSA's MODERATE is MEDIUM."""
        value = text.strip().upper()
        if value == "MODERATE":
            return cls.MEDIUM
        try:
            return cls(value)
        except ValueError:
            raise ValueError(
                f"unknown severity {text!r}: use CRITICAL, HIGH, MEDIUM, LOW, NONE or UNKNOWN"
            ) from None

    def at_least(self, threshold: Severity) -> bool:
        return self.rank >= threshold.rank


_RANK = {
    Severity.NONE: 0,
    Severity.LOW: 1,
    Severity.UNKNOWN: 2,
    Severity.MEDIUM: 3,
    Severity.HIGH: 4,
    Severity.CRITICAL: 5,
}
