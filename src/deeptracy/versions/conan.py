"""ConanCenter: Conan 2's loose version order (conans/model/version.py).

A version is dot-separated items, then an optional pre-release after the last '-' and build
after the last '+' (both read the same way). Items that are all digits compare as numbers,
before any alphanumeric item; trailing zero items are ignored (1.2 == 1.2.0); a pre-release
sorts before its release. Unlike SemVer, build parts order (1.0 < 1.0+1). Conan's own
comparison falls back to comparing a number and a string as text, which is not a total order;
numbers first is the total order that agrees with it for items that start with a letter.
"""

from __future__ import annotations

import re
from functools import lru_cache

from deeptracy.versions.interface import (
    PARSE_CACHE_SIZE,
    InvalidVersion,
    VersionScheme,
    version_text,
)

_ITEM = re.compile(r"[0-9A-Za-z_-]+")
RULE = "dot-separated letters, digits, '_' or '-', optional -PRERELEASE and +BUILD"

ConanItems = tuple[tuple[int, int | str], ...]
ConanKey = tuple[ConanItems, int, ConanItems, int, ConanItems]


def _items(text: str, version: str) -> ConanItems:
    items: list[tuple[int, int | str]] = []
    for item in text.split("."):
        if not _ITEM.fullmatch(item):
            raise InvalidVersion(f"{version!r} is not a valid ConanCenter version ({RULE})")
        items.append((0, int(item)) if item.isdigit() and item.isascii() else (1, item))
    while items and items[-1] == (0, 0):
        items.pop()
    return tuple(items)


@lru_cache(maxsize=PARSE_CACHE_SIZE)
def _parse(version: str) -> ConanKey:
    text, plus, build = version.rpartition("+") if "+" in version else (version, "", "")
    text, dash, pre = text.rpartition("-") if "-" in text else (text, "", "")
    build_items = _items(build, version) if plus else ()
    pre_items = _items(pre, version) if dash else ()
    # A release (1) sorts after its pre-releases (0); no build (0) before a build (1).
    return (_items(text, version), 0 if dash else 1, pre_items, 1 if plus else 0, build_items)


class ConanScheme(VersionScheme):
    name = "ConanCenter"

    def parse(self, version: str) -> ConanKey:
        version = version_text(version, self.name)
        return _parse(version.strip())
