"""A reader for the Elixir term syntax of mix.lock: data only, nothing is ever evaluated.

Maps (`%{k => v}`, `%{"k": v}`, `%{k: v}`), tuples, lists and keyword lists, strings, atoms,
numbers, true/false/nil and `#` comments. Anything else (function calls, sigils, string
interpolation) is refused with its line: mix.lock never holds it, and running it is
exactly what DeepTracy must not do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypeAlias

from deeptracy.inventory.interface import ExtractError

MAX_DEPTH = 64


@dataclass(frozen=True, slots=True)
class Atom:
    name: str


@dataclass(frozen=True, slots=True)
class Map:
    entries: tuple[tuple[Term, Term, int], ...]  # key, value, line of the key


Term: TypeAlias = "str | int | float | bool | Atom | Map | tuple[Term, ...] | list[Term] | None"

_NUMBER = re.compile(r"-?\d[\d_]*(?:\.\d[\d_]*)?(?:[eE][-+]?\d+)?")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_@]*[?!]?")
_ATOM_BODY = re.compile(r"[A-Za-z_][A-Za-z0-9_@.]*[?!]?|[A-Z][A-Za-z0-9_.]*")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "s": " ", "e": "\x1b", "0": "\0", "a": "\a"}


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1

    def fail(self, message: str) -> ExtractError:
        return ExtractError(f"line {self.line}: {message}")

    def skip(self) -> None:
        text = self.text
        while self.pos < len(text):
            ch = text[self.pos]
            if ch == "\n":
                self.line += 1
                self.pos += 1
            elif ch.isspace():
                self.pos += 1
            elif ch == "#":
                end = text.find("\n", self.pos)
                self.pos = len(text) if end < 0 else end
            else:
                return

    def peek(self) -> str:
        self.skip()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def expect(self, token: str) -> None:
        self.skip()
        if not self.text.startswith(token, self.pos):
            found = self.text[self.pos : self.pos + 10] or "the end of the file"
            raise self.fail(f"expected {token!r}, found {found!r}")
        self.pos += len(token)

    def keyword_colon(self) -> bool:
        """Whether a keyword-key colon (`key: value`) follows immediately."""
        after = self.text[self.pos + 1 : self.pos + 2]
        if self.text[self.pos : self.pos + 1] == ":" and (after.isspace() or after == ""):
            self.pos += 1
            return True
        return False

    def value(self, depth: int) -> Term:
        if depth > MAX_DEPTH:
            raise self.fail(f"terms nested deeper than {MAX_DEPTH} levels")
        ch = self.peek()
        if ch == "%":
            self.expect("%{")
            return self.map(depth)
        if ch == "{":
            self.pos += 1
            return tuple(self.sequence("}", depth))
        if ch == "[":
            self.pos += 1
            return self.sequence("]", depth)
        if ch == '"':
            return self.string()
        if ch == ":":
            return self.atom()
        number = _NUMBER.match(self.text, self.pos)
        if number:
            self.pos = number.end()
            digits = number.group().replace("_", "")
            return float(digits) if any(c in digits for c in ".eE") else int(digits)
        word = _IDENTIFIER.match(self.text, self.pos)
        if word and word.group() in ("true", "false", "nil"):
            self.pos = word.end()
            return {"true": True, "false": False, "nil": None}[word.group()]
        raise self.fail(
            f"unexpected {self.text[self.pos : self.pos + 20]!r}"
            if ch
            else "unexpected end of file"
        )

    def key(self, depth: int) -> tuple[Term, bool]:
        """A map key or list item, and whether it was written as a keyword (`key:`)."""
        ch = self.peek()
        word = _IDENTIFIER.match(self.text, self.pos)
        if word and ch not in "\"'" and word.group() not in ("true", "false", "nil"):
            self.pos = word.end()
            if self.keyword_colon():
                return Atom(word.group()), True
            raise self.fail(f"unexpected identifier {word.group()!r} (nothing is evaluated)")
        if ch == '"':
            text = self.string()
            if self.keyword_colon():
                return Atom(text), True
            return text, False
        return self.value(depth), False

    def sequence(self, close: str, depth: int) -> list[Term]:
        items: list[Term] = []
        while self.peek() != close:
            item, keyword = self.key(depth + 1)
            items.append((item, self.value(depth + 1)) if keyword else item)
            if self.peek() == ",":
                self.pos += 1
            elif self.peek() != close:
                raise self.fail(f"expected ',' or {close!r}")
        self.pos += 1
        return items

    def map(self, depth: int) -> Map:
        entries: list[tuple[Term, Term, int]] = []
        while self.peek() != "}":
            line = self.line
            key, keyword = self.key(depth + 1)
            if not keyword:
                self.expect("=>")
            entries.append((key, self.value(depth + 1), line))
            if self.peek() == ",":
                self.pos += 1
            elif self.peek() != "}":
                raise self.fail("expected ',' or '}' in a map")
        self.pos += 1
        return Map(tuple(entries))

    def string(self) -> str:
        self.pos += 1  # the opening quote
        out: list[str] = []
        text = self.text
        while True:
            if self.pos >= len(text):
                raise self.fail("unterminated string")
            ch = text[self.pos]
            if ch == '"':
                self.pos += 1
                return "".join(out)
            if ch == "#" and text.startswith("#{", self.pos):
                raise self.fail("string interpolation refused (nothing is evaluated)")
            if ch == "\\" and self.pos + 1 < len(text):
                nxt = text[self.pos + 1]
                out.append(_ESCAPES.get(nxt, nxt))
                self.pos += 2
                continue
            if ch == "\n":
                self.line += 1
            out.append(ch)
            self.pos += 1

    def atom(self) -> Atom:
        self.pos += 1  # the colon
        if self.text.startswith('"', self.pos):
            return Atom(self.string())
        body = _ATOM_BODY.match(self.text, self.pos)
        if body is None:
            raise self.fail("unreadable atom")
        self.pos = body.end()
        return Atom(body.group())


def parse_term(text: str) -> Term:
    """The one term `text` holds; ExtractError with a line for anything else."""
    reader = _Reader(text)
    term = reader.value(0)
    if reader.peek():
        raise reader.fail("unexpected text after the term")
    return term
