"""TOML helpers: parsing with a precise message, and lines of array-of-tables headers."""

from __future__ import annotations

import re
import tomllib
from typing import Any

from deeptracy.inventory.interface import ExtractError


def load_toml(text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ExtractError(f"invalid TOML: {exc}") from None
    except RecursionError:
        raise ExtractError("TOML nested too deeply to be read") from None


def table_array_lines(text: str, name: str, count: int) -> list[int | None]:
    """Line of each `[[name]]` header, in order; all None when the headers do not match the
    `count` parsed tables (an inline array, or headers inside multi-line strings)."""
    header = re.compile(rf"^[ \t]*\[\[[ \t]*{re.escape(name)}[ \t]*\]\][ \t]*(?:#.*)?$")
    found = [n for n, line in enumerate(text.splitlines(), 1) if header.match(line)]
    if len(found) != count:
        return [None] * count
    return list(found)
