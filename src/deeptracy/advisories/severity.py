"""Severity of an OSV record: CVSS vectors scored with the `cvss` library, GHSA's word as a
fallback, and UNKNOWN (never LOW) when the record says nothing.

When a record carries several vectors the newest CVSS version wins (v4 over v3 over v2: the
most recent assessment), and among vectors of one version the highest base score.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cvss import CVSS2, CVSS3, CVSS4, CVSSError

from deeptracy.severity import Severity

_VERSION_RANK = {"CVSS_V4": 3, "CVSS_V3": 2, "CVSS_V2": 1}


@dataclass(frozen=True, slots=True)
class SeverityInfo:
    severity: Severity = Severity.UNKNOWN
    score: float | None = None
    vector: str | None = None  # the CVSS vector the score came from

    @property
    def known(self) -> bool:
        return self.severity is not Severity.UNKNOWN


UNKNOWN = SeverityInfo()


def score_vector(kind: str, vector: str) -> SeverityInfo:
    """Base score and rating of one CVSS vector; raises ValueError when it cannot be read."""
    text = vector.strip()
    try:
        if kind == "CVSS_V4":
            v4 = CVSS4(text)
            return SeverityInfo(Severity.parse(v4.severity), float(v4.base_score), text)
        if kind == "CVSS_V3":
            v3 = CVSS3(text)
            return SeverityInfo(Severity.parse(v3.severities()[0]), float(v3.base_score), text)
        if kind == "CVSS_V2":
            v2 = CVSS2(text)
            score = float(v2.base_score)
            # CVSS v2 defines no ratings; NVD's bands (LOW < 4, MEDIUM < 7, HIGH) are usual.
            return SeverityInfo(Severity.parse(v2.severities()[0]), score, text)
    except CVSSError as exc:
        raise ValueError(f"invalid {kind} vector {text!r}: {exc}") from None
    raise ValueError(f"unsupported severity type {kind!r}")


def assess_severity(
    entries: Iterable[tuple[str, str]], database_specific: Mapping[str, Any] | None = None
) -> tuple[SeverityInfo, list[str]]:
    """The severity a record (or one affected package) states, and notes on what was ignored.

    `entries` are the `severity[]` (type, score) pairs; `database_specific.severity` is GHSA's
    CRITICAL/HIGH/MODERATE/LOW, used only when no vector could be scored.
    """
    notes: list[str] = []
    best: tuple[int, float, SeverityInfo] | None = None
    word: Severity | None = None
    for kind, score in entries:
        if kind in _VERSION_RANK:
            try:
                info = score_vector(kind, score)
            except ValueError as exc:
                notes.append(str(exc))
                continue
            rank, value = _VERSION_RANK[kind], info.score or 0.0
            if best is None or (rank, value) > (best[0], best[1]):
                best = (rank, value, info)
        elif kind == "Ubuntu":  # a word: negligible, low, medium, high, critical
            try:
                word = word or Severity.parse(
                    "LOW" if score.strip().lower() == "negligible" else score
                )
            except ValueError as exc:
                notes.append(str(exc))
    if best is not None:
        return best[2], notes
    if word is not None:
        return SeverityInfo(word), notes
    fallback = (database_specific or {}).get("severity")
    if isinstance(fallback, str) and fallback.strip():
        try:
            return SeverityInfo(Severity.parse(fallback)), notes
        except ValueError as exc:
            notes.append(f"database_specific.severity: {exc}")
    return UNKNOWN, notes
