"""Maven: ComparableVersion ordering (Maven 3.9) and version ranges.

Parsing follows ComparableVersion: the lower-cased version splits on '.', on '-' (which opens a
sub-list) and on digit/letter transitions (which also open a sub-list, as does a trailing or
digit-followed qualifier after '.': 1.0.RC1 = 1-RC1). Qualifiers order alpha (a1) < beta (b1) <
milestone (m1) < rc = cr < snapshot < "" = ga = final = release < sp < any other qualifier
(lexically); a number sorts after any qualifier; null items (0, "", an empty list) are trimmed
from the end of each list and padded when lists differ in length. Documented examples: 1 = 1.0 =
1-ga = 1.final, 1-snapshot < 1 < 1-sp < 1-1 < 1.1, 1-foo2 < 1-foo10.

ComparableVersion's comparison is not transitive on some unusual inputs ("1.sp.1" < "1-alpha1"
< "1" < "1.sp.1"). Keys here are one total order that agrees with it wherever it is consistent:
an item's rank first reflects how the rest of its list compares with the padding (below, equal,
above), then Maven's own item order. A zero run of ten or more digits compares as 0 (Maven ranks
it by its digit count).

Ranges: [1.0,2.0), (,1.0], [1.2], [1.5,), unions "(,1.0],[1.2,)"; a bare version is a soft
requirement and is read as exactly that version.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, TypeAlias

from deeptracy.versions._sets import any_of, between, exactly
from deeptracy.versions.interface import (
    CONSTRAINT_CACHE_SIZE,
    PARSE_CACHE_SIZE,
    InvalidConstraint,
    InvalidVersion,
    VersionScheme,
    constraint_text,
    version_text,
)
from deeptracy.versions.intervals import VersionSet

_QUALIFIERS = ("alpha", "beta", "milestone", "rc", "snapshot", "", "sp")
_RELEASE_INDEX = str(_QUALIFIERS.index(""))
_ALIASES = {"ga": "", "final": "", "release": "", "cr": "rc"}
_SHORT = {"a": "alpha", "b": "beta", "m": "milestone"}
_DIGITS = frozenset("0123456789")
_FORBIDDEN = re.compile(r"[\s,\[\]()]")

# Item ranks (see the module docstring): items that sort below the padding, then the padding
# itself (_END), then items above it; within a class Maven's order string < list < number.
_STR_BELOW, _BLANK_BELOW, _LIST_BELOW, _ZERO_BELOW = 0, 1, 2, 3
_END = (4,)
_BLANK_ABOVE, _STR_ABOVE, _LIST_ABOVE, _ZERO_ABOVE, _NUMBER = 5, 6, 7, 8, 9

_Items: TypeAlias = "list[int | str | _Items]"
MavenKey = tuple[tuple[object, ...], ...]


def _qualifier(text: str, *, followed_by_digit: bool) -> str:
    if followed_by_digit and text in _SHORT:
        text = _SHORT[text]
    return _ALIASES.get(text, text)


def _comparable(qualifier: str) -> str:
    """ComparableVersion's sort string: known qualifiers by index, then unknown ones."""
    if qualifier in _QUALIFIERS:
        return str(_QUALIFIERS.index(qualifier))
    return f"{len(_QUALIFIERS)}-{qualifier}"


def _item(text: str, *, digits: bool) -> int | str:
    return int(text) if digits else _qualifier(text, followed_by_digit=False)


def _tokenize(version: str) -> _Items:
    """ComparableVersion's parse: nested lists of ints and qualifier strings, normalised."""
    text = version.lower()
    root: _Items = []
    current = root
    lists = [root]

    def open_list() -> None:
        nonlocal current
        child: _Items = []
        current.append(child)
        current = child
        lists.append(child)

    digits = False
    start = 0
    for i, char in enumerate(text):
        if char in ".-":
            current.append(0 if i == start else _item(text[start:i], digits=digits))
            start = i + 1
            if char == "-":
                open_list()
        elif char in _DIGITS:
            if not digits and i > start:
                # "1.0.0.X1" < "1.0.0-X2": a qualifier before a number is its own list.
                if current:
                    open_list()
                current.append(_qualifier(text[start:i], followed_by_digit=True))
                start = i
                open_list()
            digits = True
        else:
            if digits and i > start:
                current.append(int(text[start:i]))
                start = i
                open_list()
            digits = False
    if len(text) > start:
        if not digits and current:
            open_list()  # a trailing ".X" reads as "-X"
        current.append(_item(text[start:], digits=digits))
    for items in reversed(lists):
        _normalize(items)
    return root


def _is_null(item: int | str | _Items) -> bool:
    return item == 0 or item == "" or item == []


def _normalize(items: _Items) -> None:
    # Drop trailing nulls, looking past non-empty sub-lists (1.0-1 -> 1-1).
    for i in range(len(items) - 1, -1, -1):
        if _is_null(items[i]):
            del items[i]
        elif not isinstance(items[i], list):
            break


def _versus_padding(item: int | str | _Items) -> int:
    """How an item compares with the padding of a shorter version: -1, 0 or 1."""
    if isinstance(item, int):
        return int(item > 0)
    if isinstance(item, str):
        comparable = _comparable(item)
        return (comparable > _RELEASE_INDEX) - (comparable < _RELEASE_INDEX)
    for child in item:
        sign = _versus_padding(child)
        if sign:
            return sign
    return 0


def _encode(items: _Items) -> MavenKey:
    # rest[i]: how the items after i compare with padding (decides where a null item sorts).
    rest = [0] * len(items)
    running = 0
    for i in range(len(items) - 1, -1, -1):
        rest[i] = running
        running = _versus_padding(items[i]) or running
    out: list[tuple[object, ...]] = []
    for item, after in zip(items, rest, strict=True):
        if isinstance(item, list):
            rank = _LIST_ABOVE if _versus_padding(item) > 0 else _LIST_BELOW
            out.append((rank, _encode(item)))
        elif isinstance(item, int):
            if item:
                out.append((_NUMBER, item))
            else:
                out.append(_END if not after else (_ZERO_ABOVE if after > 0 else _ZERO_BELOW,))
        elif item == "":
            out.append(_END if not after else (_BLANK_ABOVE if after > 0 else _BLANK_BELOW,))
        else:
            comparable = _comparable(item)
            out.append((_STR_ABOVE if comparable > _RELEASE_INDEX else _STR_BELOW, comparable))
    out.append(_END)
    return tuple(out)


@lru_cache(maxsize=PARSE_CACHE_SIZE)
def _parse(version: str) -> MavenKey:
    if not version or _FORBIDDEN.search(version):
        raise InvalidVersion(
            f"{version!r} is not a valid Maven version: it must be non-empty and contain no "
            "whitespace, ',' or brackets"
        )
    return _encode(_tokenize(version))


def _restriction(text: str, spec: str, scheme: MavenScheme) -> VersionSet:
    lower_inclusive, upper_inclusive = text[0] == "[", text[-1] == "]"
    body = text[1:-1].strip()
    if "," not in body:
        if not (lower_inclusive and upper_inclusive):
            raise InvalidConstraint(f"{spec!r}: a single version must be written [1.0]")
        return exactly(scheme.version_in(body, spec))
    low_text, high_text = (part.strip() for part in body.split(",", 1))
    if "," in high_text:
        raise InvalidConstraint(f"{spec!r}: {text!r} has more than one ','")
    low = scheme.version_in(low_text, spec) if low_text else None
    high = scheme.version_in(high_text, spec) if high_text else None
    reversed_bounds = low is not None and high is not None and high < low
    touching = low is not None and low == high and not (lower_inclusive and upper_inclusive)
    if reversed_bounds or touching:
        raise InvalidConstraint(f"{spec!r}: {text!r} is empty (its bounds are reversed)")
    return between(
        low, high, lower_inclusive=lower_inclusive or low is None, upper_inclusive=upper_inclusive
    )


@lru_cache(maxsize=CONSTRAINT_CACHE_SIZE)
def _parse_range(spec: str, scheme: MavenScheme) -> VersionSet:
    text = spec.strip()
    if not text:
        raise InvalidConstraint(f"{spec!r} is not a Maven version or range: it is empty")
    if text.startswith("${"):
        raise InvalidConstraint(f"{spec!r} is an unresolved property, not a version")
    if text in ("LATEST", "RELEASE"):
        raise InvalidConstraint(f"{spec!r} is a Maven meta-version, not a version or range")
    if text[0] not in "[(":
        return exactly(scheme.version_in(text, spec))  # a soft requirement: that version
    parts: list[VersionSet] = []
    previous_upper: Any = None
    while text:
        if text[0] not in "[(":
            raise InvalidConstraint(
                f"{spec!r}: only bracketed ranges may be combined, found {text!r}"
            )
        ends = [i for i in (text.find("]"), text.find(")")) if i >= 0]
        if not ends:
            raise InvalidConstraint(f"{spec!r}: a range is not closed with ']' or ')'")
        end = min(ends)
        part = _restriction(text[: end + 1], spec, scheme)
        lower = part.intervals[0].lower if part.intervals else None
        # As Maven checks: each range must start at or after the previous bounded one's end.
        if previous_upper is not None and (lower is None or lower < previous_upper):
            raise InvalidConstraint(f"{spec!r}: ranges overlap")
        previous_upper = part.intervals[-1].upper if part.intervals else None
        parts.append(part)
        text = text[end + 1 :].strip().removeprefix(",").strip()
    return any_of(parts)


class MavenScheme(VersionScheme):
    name = "Maven"

    def parse(self, version: str) -> MavenKey:
        version = version_text(version, self.name)
        return _parse(version.strip())

    def version_in(self, text: str, spec: str) -> MavenKey:
        try:
            return self.parse(text)
        except InvalidVersion as exc:
            raise InvalidConstraint(f"{spec!r}: {exc}") from None

    def parse_constraint(self, constraint: str) -> VersionSet:
        constraint = constraint_text(constraint, self.name)
        return _parse_range(constraint, self)
