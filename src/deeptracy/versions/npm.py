"""npm: SemVer order and node-semver's range grammar (https://github.com/npm/node-semver#ranges).

Ranges read as node-semver reads them with `includePrerelease: true`: the desugaring is the
documented one (`^0.2.3` := `>=0.2.3 <0.3.0-0`, `1.x` := `>=1.0.0-0 <2.0.0-0`, `1.2 - 2` :=
`>=1.2.0-0 <3.0.0-0`...), and the rule that hides pre-releases from a range that names none is
not modelled, so a range admits the pre-releases between its bounds. Numbers may carry leading
zeros, as in npm's loose parsing of package.json. Specifiers that name no registry version
(dist-tags, URLs, git, paths, workspace:) are refused with what they are.
"""

from __future__ import annotations

import re
from functools import lru_cache

from deeptracy.versions._sets import (
    EVERYTHING,
    NOTHING,
    all_of,
    any_of,
    at_least,
    at_most,
    between,
    exactly,
)
from deeptracy.versions.interface import (
    CONSTRAINT_CACHE_SIZE,
    InvalidConstraint,
    InvalidVersion,
    VersionScheme,
    constraint_text,
)
from deeptracy.versions.intervals import VersionSet
from deeptracy.versions.semver import (
    SemverKey,
    floor,
    parse_semver,
    prerelease_key,
    release,
)

_X = r"\d+|[xX*]"
_ID = r"[0-9A-Za-z-]+"
_PARTIAL = (
    rf"[v=\s]*(?P<M>{_X})(?:\.(?P<m>{_X})(?:\.(?P<p>{_X})"
    rf"(?:-(?P<pre>{_ID}(?:\.{_ID})*))?(?:\+{_ID}(?:\.{_ID})*)?)?)?"
)
_COMPARATOR = re.compile(rf"(?P<op><=|>=|<|>|=|~>?|\^)?{_PARTIAL}")
_HYPHEN = re.compile(
    r"\s*(?P<low>\S+)\s+-\s+(?P<high>\S+)\s*",
)
_OPERATOR_SPACE = re.compile(r"(<=|>=|<|>|=|~>?|\^)\s+")
_PARTIAL_ONLY = re.compile(_PARTIAL)

_PROTOCOLS = {
    "file": "a local file or directory path",
    "link": "a symlink to a local package",
    "workspace": "a workspace reference",
    "portal": "a portal to a local package",
    "patch": "a patched dependency",
    "catalog": "a pnpm catalog reference",
    "http": "a tarball URL",
    "https": "a tarball URL",
    "git": "a git repository",
    "github": "a GitHub repository",
    "gitlab": "a GitLab repository",
    "bitbucket": "a Bitbucket repository",
    "gist": "a GitHub gist",
}
_PROTOCOL = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*):")
_TAG = re.compile(r"[A-Za-z][A-Za-z0-9._-]*")

# (major, minor, patch, pre) with None for an X ("1.x" -> (1, None, None, None)).
_Partial = tuple[int | None, int | None, int | None, str | None]


def _partial(match: re.Match[str], prefix: str = "") -> _Partial:
    parts: list[int | None] = []
    for name in ("M", "m", "p"):
        text = match[prefix + name]
        # Once one part is an X (or missing), every later part is too.
        if text is None or text in ("x", "X", "*") or (parts and parts[-1] is None):
            parts.append(None)
        else:
            parts.append(int(text))
    pre = match[prefix + "pre"] if parts[2] is not None else None
    return (parts[0], parts[1], parts[2], pre)


def _key(part: _Partial, text: str) -> SemverKey:
    major, minor, patch, pre = part
    assert major is not None and minor is not None and patch is not None
    try:
        return (major, minor, patch, prerelease_key(pre, version=text, ecosystem="npm"))
    except InvalidVersion as exc:
        raise InvalidConstraint(str(exc)) from None


def _primitive(op: str, part: _Partial, text: str) -> VersionSet:
    major, minor, patch, _ = part
    if op == "=" and patch is None:
        op = ""
    if major is None:
        return NOTHING if op in (">", "<") else EVERYTHING
    if patch is None:
        if not op:
            if minor is None:
                return between(floor(major, 0, 0), floor(major + 1, 0, 0))
            return between(floor(major, minor, 0), floor(major, minor + 1, 0))
        # An operator on a partial version: the bound moves to the edge of the band.
        upper = floor(major + 1, 0, 0) if minor is None else floor(major, minor + 1, 0)
        lower = floor(major, minor or 0, 0)
        return {
            ">": at_least(upper),
            ">=": at_least(lower),
            "<": at_most(lower, inclusive=False),
            "<=": at_most(upper, inclusive=False),
        }[op]
    key = _key(part, text)
    if op in ("", "="):
        return exactly(key)
    return {
        ">": at_least(key, inclusive=False),
        ">=": at_least(key),
        "<": at_most(key, inclusive=False),
        "<=": at_most(key),
    }[op]


def _tilde(part: _Partial, text: str) -> VersionSet:
    major, minor, patch, _ = part
    if major is None:
        return EVERYTHING
    if minor is None:
        return between(release(major, 0, 0), floor(major + 1, 0, 0))
    if patch is None:
        return between(release(major, minor, 0), floor(major, minor + 1, 0))
    return between(_key(part, text), floor(major, minor + 1, 0))


def _caret(part: _Partial, text: str) -> VersionSet:
    major, minor, patch, pre = part
    if major is None:
        return EVERYTHING
    if minor is None:
        return between(floor(major, 0, 0), floor(major + 1, 0, 0))
    if patch is None:
        upper = floor(0, minor + 1, 0) if major == 0 else floor(major + 1, 0, 0)
        return between(floor(major, minor, 0), upper)
    # The left-most non-zero part may not change.
    if major > 0:
        upper = floor(major + 1, 0, 0)
    elif minor > 0:
        upper = floor(0, minor + 1, 0)
    else:
        upper = floor(0, 0, patch + 1)
    # node-semver starts the zero-major forms at "-0" but not ^1.2.3 (no z for major > 0).
    lower = _key(part, text) if pre or major > 0 else floor(major, minor, patch)
    return between(lower, upper)


def _hyphen(low: _Partial, high: _Partial, text: str) -> VersionSet:
    lmaj, lmin, lpat, lpre = low
    bounds: list[VersionSet] = []
    if lmaj is not None:
        if lpre:
            bounds.append(at_least(_key(low, text)))
        else:
            bounds.append(at_least(floor(lmaj, lmin or 0, lpat or 0)))
    hmaj, hmin, hpat, hpre = high
    if hmaj is not None:
        if hmin is None:
            bounds.append(at_most(floor(hmaj + 1, 0, 0), inclusive=False))
        elif hpat is None:
            bounds.append(at_most(floor(hmaj, hmin + 1, 0), inclusive=False))
        elif hpre:
            bounds.append(at_most(_key(high, text)))
        else:
            bounds.append(at_most(floor(hmaj, hmin, hpat + 1), inclusive=False))
    return all_of(bounds)


def _comparator_set(word: str, text: str) -> VersionSet:
    match = _COMPARATOR.fullmatch(word)
    if match is None:
        raise InvalidConstraint(
            f"{text!r} is not a valid npm range: {word!r} is not a comparator "
            "(an operator <, <=, >, >=, =, ~, ^ and a version, possibly with x wildcards)"
        )
    op, part = match["op"] or "", _partial(match)
    if op in ("~", "~>"):
        return _tilde(part, text)
    if op == "^":
        return _caret(part, text)
    return _primitive(op, part, text)


def _group_set(group: str, text: str) -> VersionSet:
    hyphen = _HYPHEN.fullmatch(group)
    if hyphen is not None:
        low = _PARTIAL_ONLY.fullmatch(hyphen["low"])
        high = _PARTIAL_ONLY.fullmatch(hyphen["high"])
        if low is None or high is None:
            raise InvalidConstraint(
                f"{text!r} is not a valid npm range: both ends of a hyphen range must be versions"
            )
        return _hyphen(_partial(low), _partial(high), text)
    words = _OPERATOR_SPACE.sub(r"\1", group).split()
    return all_of(_comparator_set(word, text) for word in words)


def _refuse_non_registry(text: str) -> None:
    """Raise for specifiers that point somewhere other than a registry version."""
    protocol = _PROTOCOL.match(text)
    if protocol is not None:
        scheme = protocol["scheme"].lower()
        what = _PROTOCOLS.get(scheme) or (
            "a git repository" if scheme.startswith("git") else f"a {scheme}: specifier"
        )
        raise InvalidConstraint(f"{text!r} is {what}, not a version range")
    if text.startswith(("./", "../", "/", "~/")) or text.endswith((".tgz", ".tar.gz", ".tar")):
        raise InvalidConstraint(f"{text!r} is a local path, not a version range")
    if "/" in text:
        raise InvalidConstraint(f"{text!r} is a GitHub repository shorthand, not a version range")


@lru_cache(maxsize=CONSTRAINT_CACHE_SIZE)
def _parse_range(text: str) -> VersionSet:
    spec = text.strip()
    if spec.startswith("npm:"):
        # An alias "npm:name@range": the range follows the last '@' after the name.
        name_and_range = spec[4:]
        at = name_and_range.rfind("@")
        spec = name_and_range[at + 1 :] if at > 0 else ""
    _refuse_non_registry(spec)
    try:
        return any_of(_group_set(group.strip(), text) for group in spec.split("||"))
    except InvalidConstraint:
        if _TAG.fullmatch(spec):
            raise InvalidConstraint(
                f"{text!r} is a dist-tag (such as 'latest'), not a version range"
            ) from None
        raise


class NpmScheme(VersionScheme):
    name = "npm"

    def parse(self, version: str) -> SemverKey:
        return parse_semver(version, ecosystem="npm", prefixes="v=")

    def parse_constraint(self, constraint: str) -> VersionSet:
        constraint = constraint_text(constraint, self.name)
        return _parse_range(constraint)
