"""The yarn.lock v1 syntax (not YAML): a parser written for it, since no library reads it.

    # yarn lockfile v1

    "@babel/core@^7.0.0", "@babel/core@^7.1.0":
      version "7.20.5"
      resolved "https://registry.yarnpkg.com/@babel/core/-/core-7.20.5.tgz#..."
      dependencies:
        "@babel/types" "^7.20.5"

A block starts at column 0 with comma-separated specifiers and a colon; fields are indented
two spaces (`key value`, or `key:` opening a map indented four spaces).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from deeptracy.inventory.interface import ExtractError


@dataclass
class Block:
    specifiers: list[str]
    line: int
    fields: dict[str, str] = field(default_factory=dict)
    maps: dict[str, dict[str, str]] = field(default_factory=dict)


def _tokens(text: str, number: int) -> list[str]:
    """Words and double-quoted strings of one line, commas and blanks between them."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in " \t,":
            i += 1
            continue
        if ch == '"':
            j = i + 1
            escaped = False
            while j < n and text[j] != '"':
                if text[j] == "\\":
                    escaped = True
                    j += 1
                j += 1
            if j >= n:
                raise ExtractError(f"line {number}: unterminated string")
            if escaped:
                try:
                    out.append(json.loads(text[i : j + 1]))
                except ValueError:
                    raise ExtractError(f"line {number}: invalid escape in string") from None
            else:
                out.append(text[i + 1 : j])
            i = j + 1
            continue
        j = i
        while j < n and text[j] not in " \t,":
            j += 1
        out.append(text[i:j])
        i = j
    return out


def parse(text: str) -> list[Block]:
    """Every block of a v1 lockfile; ExtractError (with its line) for a malformed file."""
    blocks: list[Block] = []
    block: Block | None = None
    current_map: dict[str, str] | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        stripped = line.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        if line.startswith(("<<<<<<<", "=======", ">>>>>>>")):
            raise ExtractError(f"line {number}: unresolved merge conflict marker")
        indent = len(line) - len(stripped)
        if indent == 0:
            if not line.endswith(":"):
                raise ExtractError(f"line {number}: expected 'specifier:' to start an entry")
            specifiers = _tokens(line[:-1], number)
            if not specifiers:
                raise ExtractError(f"line {number}: entry without a specifier")
            block = Block(specifiers, number)
            blocks.append(block)
            current_map = None
        elif indent == 2:
            if block is None:
                raise ExtractError(f"line {number}: field outside of an entry")
            if stripped.endswith(":") and len(_tokens(stripped[:-1], number)) == 1:
                key = _tokens(stripped[:-1], number)[0]
                current_map = block.maps.setdefault(key, {})
                continue
            words = _tokens(stripped, number)
            if len(words) != 2:
                raise ExtractError(f"line {number}: expected 'key value', found {stripped!r}")
            block.fields[words[0]] = words[1]
            current_map = None
        elif indent == 4:
            if current_map is None:
                raise ExtractError(f"line {number}: nested value outside of a map")
            words = _tokens(stripped, number)
            if len(words) != 2:
                raise ExtractError(f"line {number}: expected 'name range', found {stripped!r}")
            current_map[words[0]] = words[1]
        else:
            raise ExtractError(f"line {number}: unexpected indentation of {indent} spaces")
    return blocks
