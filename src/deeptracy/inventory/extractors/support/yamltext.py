"""Safe YAML loading for lockfiles, and the lines of a section's keys."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from deeptracy.inventory.interface import ExtractError

# The base loader builds only dicts, lists and strings: no Python objects, and no implicit
# typing either, so `version: 1.10` stays "1.10" instead of becoming the float 1.1. The C
# parser is used when PyYAML was built with libyaml.
_Loader: type[yaml.BaseLoader] = getattr(yaml, "CBaseLoader", yaml.BaseLoader)

# An anchor or alias indicator where YAML allows one: after whitespace or a flow indicator.
# Only a hint: the parser's events decide.
_MAYBE_ALIAS = re.compile(r"(?:^|[\s\[{,])[&*]", re.MULTILINE)


def load_yaml(text: str) -> Any:
    """The document in `text`; raises ExtractError for invalid YAML and for any alias.

    Lockfile writers never emit anchors or aliases, and an alias is how a small file expands
    into an exponential structure (the "billion laughs"), so a file with one is refused.
    """
    try:
        if _MAYBE_ALIAS.search(text):
            for event in yaml.parse(text, Loader=_Loader):
                if isinstance(event, yaml.AliasEvent):
                    line = event.start_mark.line + 1 if event.start_mark else "?"
                    raise ExtractError(
                        f"YAML alias *{event.anchor} at line {line}: "
                        "anchors and aliases are not accepted in a lockfile"
                    )
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - BaseLoader builds plain data only
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        raise ExtractError(f"invalid YAML{where}: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise ExtractError(f"invalid YAML: {exc}") from None
    except RecursionError:
        raise ExtractError("YAML nested too deeply to be read") from None


def unquote_key(raw: str) -> str:
    """A YAML key as written on its line ('a', "a" or a) without its quotes."""
    if len(raw) >= 2 and raw[0] == raw[-1] == "'":
        return raw[1:-1].replace("''", "'")
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        try:
            value = json.loads(raw)
        except ValueError:
            return raw[1:-1]
        return value if isinstance(value, str) else raw[1:-1]
    return raw


def _key_of_line(stripped: str) -> str | None:
    """The key of a `key:` or `key: value` line, or None."""
    if stripped[:1] in ("'", '"'):
        quote = stripped[0]
        end = 1
        while True:
            end = stripped.find(quote, end)
            if end < 0:
                return None
            if quote == "'" and stripped[end + 1 : end + 2] == "'":
                end += 2
                continue
            if quote == '"' and stripped[end - 1] == "\\":
                end += 1
                continue
            break
        if stripped[end + 1 : end + 2] != ":":
            return None
        return unquote_key(stripped[: end + 1])
    colon = stripped.find(": ")
    if colon < 0:
        if not stripped.endswith(":"):
            return None
        colon = len(stripped) - 1
    return stripped[:colon]


def key_lines(text: str, section: str | None, indent: int) -> dict[str, int]:
    """Line of each key written at `indent` spaces, inside top-level `section:` (or anywhere
    at the top level when section is None). Block-style YAML as lockfile writers emit it."""
    lines: dict[str, int] = {}
    inside = section is None
    header = f"{section}:"
    prefix = " " * indent
    for number, line in enumerate(text.split("\n"), 1):
        if not line or line[0] == "#":
            continue
        if line[0] != " " and section is not None:
            inside = line.rstrip() == header
            continue
        if not inside or not line.startswith(prefix) or line[indent : indent + 1] in (" ", "#"):
            continue
        key = _key_of_line(line[indent:].rstrip())
        if key is not None:
            lines.setdefault(key, number)
    return lines


def yaml_type(value: object) -> str:
    """The YAML name of a loaded value's kind, for messages."""
    if isinstance(value, dict):
        return "mapping"
    if isinstance(value, list):
        return "sequence"
    return "null" if value is None else "scalar"
