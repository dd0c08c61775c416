"""What the npm ecosystem's extractors share: building packages cheaply, reading names and
specifiers."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain, repeat
from typing import cast
from urllib.parse import unquote

from deeptracy.ecosystems import NPM, purl_for
from deeptracy.inventory.model import Location, Package, Scope

_SCOPE_RANK = {None: 0, Scope.OPTIONAL: 1, Scope.PEER: 2, Scope.DEV: 3}

# Characters that need no percent-encoding in a purl's name or version.
_PLAIN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_~")
_PLAIN_SCOPED = _PLAIN_CHARS | {"@", "/"}


def npm_purl(name: str, version: str | None) -> str | None:
    """The purl `purl_for(NPM, ...)` gives, without packageurl's cost for common names
    (lockfiles hold thousands of packages)."""
    if version is not None and version and _PLAIN_CHARS.issuperset(version):
        if name[0] == "@":
            scope, _, base = name.partition("/")
            if scope[1:] and base and _PLAIN_SCOPED.issuperset(name) and name.count("@") == 1:
                return f"pkg:npm/%40{scope[1:]}/{base.lower()}@{version}"
        elif name and _PLAIN_CHARS.issuperset(name):
            return f"pkg:npm/{name.lower()}@{version}"
    return purl_for(NPM, name, version)


# Purls of lowercase plain names (a scoped name: one '@' first and one '/' inside) and plain
# versions, one per line: they need no percent-encoding but the scope's '@'.
_PLAIN_PURLS = re.compile(r"(?:\npkg:npm/(?:@[a-z0-9._~-]+/)?[a-z0-9._~-]+@[A-Za-z0-9._~-]+)*")


def npm_purls(names: Sequence[str], versions: Sequence[str | None]) -> list[str | None]:
    """`npm_purl` of each (name, version) pair, for thousands of pairs at once.

    The purls are written into one text, checked by one regex, their scopes' '@' escaped by
    one replacement, and split: every step is a C loop, where formatting each purl would be
    Python work. Anything unusual goes through `npm_purl` one by one.
    """
    if all(map(isinstance, versions, repeat(str))):
        parts = cast("Iterable[str]", zip(repeat("\npkg:npm/"), names, repeat("@"), versions))
        text = "".join(chain.from_iterable(parts))
        if _PLAIN_PURLS.fullmatch(text):
            purls: list[str | None] = []
            purls.extend(text.replace("\npkg:npm/@", "\npkg:npm/%40").split("\n")[1:])
            return purls
    return list(map(npm_purl, names, versions))


def npm_package(
    name: str,
    version: str | None,
    *,
    path: str,
    line: int | None,
    direct: bool | None = None,
    scope: Scope | None = None,
    declared: str | None = None,
    note: str | None = None,
) -> Package:
    return Package(
        NPM,
        name,
        version,
        declared,
        direct,
        scope,
        (Location(path, line),),
        note,
        npm_purl(name, version),
    )


def split_name(spec: str) -> tuple[str, str]:
    """("name", "rest") of "name@rest", where a scoped name starts with '@'."""
    at = spec.find("@", 1)
    if at < 0:
        return spec, ""
    return spec[:at], spec[at + 1 :]


def name_from_tarball_url(url: str) -> str | None:
    """The package name in a registry tarball URL (`.../@scope/name/-/name-1.0.0.tgz`)."""
    cut = url.find("/-/")
    if cut < 0:
        return None
    parts = unquote(url[:cut]).split("/")
    if len(parts) >= 2 and parts[-2].startswith("@"):
        return f"{parts[-2]}/{parts[-1]}"
    if "@" in parts[-1] and parts[-1].startswith("@"):  # "@scope%2fname" decoded
        return parts[-1]
    return parts[-1] or None


_NON_REGISTRY_PREFIXES = (
    "git+",
    "git:",
    "git@",
    "github:",
    "gitlab:",
    "bitbucket:",
    "gist:",
    "http:",
    "https:",
    "file:",
    "link:",
    "portal:",
    "workspace:",
    "exec:",
    "catalog:",
    "jsr:",
    "./",
    "../",
    "/",
    "~/",
)


def classify_spec(name: str, spec: str) -> tuple[str, str | None, str | None]:
    """(package name, declared range, note) of a package.json dependency.

    A registry range or dist-tag is declared as written; `npm:real@range` declares `real`;
    anything fetched from elsewhere (git, URL, local path, workspace, catalog) has no range
    and a note saying where it comes from.
    """
    spec = spec.strip()
    if spec.startswith("npm:"):
        real, rest = split_name(spec[4:])
        return real or name, rest, None
    if spec.startswith("patch:"):
        return name, None, f"patched package, not from the registry as is: {spec}"
    lowered = spec.lower()
    if lowered.startswith(_NON_REGISTRY_PREFIXES) or _is_github_shorthand(spec):
        return name, None, f"not from the registry: {spec}"
    return name, spec, None


def _is_github_shorthand(spec: str) -> bool:
    """ "user/repo" or "user/repo#ref": npm reads it as a GitHub repository."""
    head = spec.split("#", 1)[0]
    return (
        head.count("/") == 1
        and not head.startswith("@")
        and not any(ch in head for ch in " <>=^~*|")
        and all(head.split("/"))
    )


@dataclass
class _Merged:
    lines: list[int | None] = field(default_factory=list)
    directs: set[bool | None] = field(default_factory=set)
    scope: Scope | None = None
    reached: bool = False


class Collector:
    """Lockfile entries that are one package (peer-dependency variants of pnpm, a Berry patch
    and the package it patches) become one Package: direct if any entry is, with the best
    scope of the entries reached from the project, and every entry's line."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._merged: dict[tuple[str, str | None, str | None], _Merged] = {}

    def add(
        self,
        name: str,
        version: str | None,
        note: str | None,
        line: int | None,
        direct: bool | None,
        scope: Scope | None,
        *,
        reached: bool = True,
    ) -> None:
        entry = self._merged.setdefault((name, version, note), _Merged())
        entry.lines.append(line)
        entry.directs.add(direct)
        if reached and (not entry.reached or _SCOPE_RANK[scope] < _SCOPE_RANK[entry.scope]):
            entry.scope = scope
            entry.reached = True

    def packages(self) -> list[Package]:
        out = []
        for (name, version, note), entry in self._merged.items():
            if True in entry.directs:
                direct: bool | None = True
            else:
                direct = None if None in entry.directs else False
            known = sorted({line for line in entry.lines if line is not None})
            locations = tuple(Location(self.path, line) for line in known) or (Location(self.path),)
            out.append(
                Package(
                    NPM,
                    name,
                    version,
                    None,
                    direct,
                    entry.scope,
                    locations,
                    note,
                    npm_purl(name, version),
                )
            )
        return out
