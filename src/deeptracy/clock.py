"""The current time, always timezone-aware UTC (one definition for every layer)."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
