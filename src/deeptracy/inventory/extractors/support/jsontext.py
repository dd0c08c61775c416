"""JSON helpers: line numbers of object keys without a second parser, and JSONC."""

from __future__ import annotations

import json
import re
from typing import Any

from deeptracy.inventory.interface import ExtractError


class KeyLocator:
    """Finds the line of object keys that are looked up in document order.

    `json` keeps the document's key order, so an extractor that walks a parsed file in order
    asks for keys that appear further and further down the text: each lookup is a `str.find`
    from where the previous one stopped, and the whole file is scanned once. A key that is not
    found (unusual formatting, escapes) gives None and does not move the cursor.
    """

    __slots__ = ("_line", "_pos", "_text")

    def __init__(self, text: str) -> None:
        self._text = text
        self._pos = 0
        self._line = 1

    def line_of(self, key: str, opener: str = "") -> int | None:
        """The line of the next `"key":` whose value starts with `opener` ("{", "[", '"')."""
        text = self._text
        needle = json.dumps(key, ensure_ascii=False) if '"' in key or "\\" in key else f'"{key}"'
        start = self._pos
        while True:
            at = text.find(needle, start)
            if at < 0:
                return None
            end = at + len(needle)
            while text[end : end + 1] in (" ", "\t", "\r", "\n"):
                end += 1
            if text[end : end + 1] == ":" and (at == 0 or text[at - 1] != "\\"):
                end += 1
                while text[end : end + 1] in (" ", "\t", "\r", "\n"):
                    end += 1
                if text.startswith(opener, end):
                    break
            start = at + 1
        self._line += text.count("\n", self._pos, at)
        self._pos = at
        return self._line


# A JSON string, a comment, or a comma before a closing bracket (the only JSONC additions).
_JSONC_TOKEN = re.compile(
    r'"(?:[^"\\]|\\.)*"|//[^\n]*|/\*.*?\*/|,(?=(?:\s|//[^\n]*|/\*.*?\*/)*[}\]])', re.DOTALL
)


def _jsonc_replace(match: re.Match[str]) -> str:
    token = match.group()
    if token.startswith('"'):
        return token
    if token.startswith("/*"):
        return "\n" * token.count("\n")  # keep line numbers
    return ""


def loads_jsonc(text: str) -> Any:
    """Parse JSON with comments and trailing commas (bun.lock), keeping line numbers."""
    try:
        return json.loads(_JSONC_TOKEN.sub(_jsonc_replace, text))
    except json.JSONDecodeError as exc:
        raise ExtractError(
            f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise ExtractError("JSON nested too deeply to be read") from None


def type_name(value: object) -> str:
    """The JSON/YAML/TOML name of a value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__
