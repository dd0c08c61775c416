"""Package identity across ecosystems: OSV ecosystem names, name normalization and purls.

Every stage agrees on these rules, so a package read from a lockfile and a package named in an
advisory meet under the same key: `(ecosystem, normalize_name(ecosystem, name))`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from packageurl import PackageURL

# OSV ecosystem names (https://ossf.github.io/osv-schema/#affectedpackage-field).
PYPI = "PyPI"
NPM = "npm"
GO = "Go"
CRATES_IO = "crates.io"
MAVEN = "Maven"
NUGET = "NuGet"
RUBYGEMS = "RubyGems"
PACKAGIST = "Packagist"
PUB = "Pub"
HEX = "Hex"
SWIFT = "SwiftURL"
CONAN = "ConanCenter"
CRAN = "CRAN"
GITHUB_ACTIONS = "GitHub Actions"

# purl type for each ecosystem (https://github.com/package-url/purl-spec, PURL-TYPES).
_PURL_TYPE: dict[str, str] = {
    PYPI: "pypi",
    NPM: "npm",
    GO: "golang",
    CRATES_IO: "cargo",
    MAVEN: "maven",
    NUGET: "nuget",
    RUBYGEMS: "gem",
    PACKAGIST: "composer",
    PUB: "pub",
    HEX: "hex",
    SWIFT: "swift",
    CONAN: "conan",
    CRAN: "cran",
    GITHUB_ACTIONS: "github",
}
_ECOSYSTEM_OF_PURL_TYPE: dict[str, str] = {v: k for k, v in _PURL_TYPE.items()}

KNOWN_ECOSYSTEMS: frozenset[str] = frozenset(_PURL_TYPE)

_PEP503 = re.compile(r"[-_.]+")
_CASE_INSENSITIVE = frozenset({NUGET, PACKAGIST, PUB, HEX, CONAN, RUBYGEMS})


class PurlError(ValueError):
    """A purl that cannot be read, or names an ecosystem DeepTracy does not know."""


def canonical_ecosystem(name: str) -> str:
    """The OSV spelling of an ecosystem name given in any case ("pypi" -> "PyPI").

    OSV ecosystems may carry a suffix such as "Debian:12"; only the part before ':' is
    looked up, and unknown names are returned unchanged.
    """
    base, sep, suffix = name.partition(":")
    for known in KNOWN_ECOSYSTEMS:
        if known.lower() == base.lower():
            return known + sep + suffix
    return name


def normalize_name(ecosystem: str, name: str) -> str:
    """The matching key of a package name within its ecosystem.

    PyPI follows PEP 503; crates.io treats '-' and '_' alike, case-insensitively; NuGet,
    Packagist, Pub, Hex, Conan and RubyGems compare without case; SwiftURL names are URLs
    without scheme and '.git'. Go module paths, npm and Maven names are case-sensitive.
    """
    name = name.strip()
    if ecosystem == PYPI:
        return _PEP503.sub("-", name).lower()
    if ecosystem == CRATES_IO:
        return name.lower().replace("_", "-")
    if ecosystem in _CASE_INSENSITIVE:
        return name.lower()
    if ecosystem == SWIFT:
        return _normalize_swift_url(name)
    return name


def _normalize_swift_url(url: str) -> str:
    url = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", "", url.strip())
    url = re.sub(r"^[^@/]+@", "", url)  # user@ in ssh forms
    url = url.replace(":", "/", 1) if re.match(r"^[^/]+:[^/]", url) else url
    url = url.removesuffix("/").removesuffix(".git")
    return url.lower()


@dataclass(frozen=True, slots=True)
class PurlParts:
    ecosystem: str
    name: str
    version: str | None


def purl_for(ecosystem: str, name: str, version: str | None = None) -> str | None:
    """The purl of a package, or None for an ecosystem without a purl type."""
    ptype = _PURL_TYPE.get(ecosystem)
    if ptype is None:
        return None
    namespace: str | None = None
    pname = name
    if ecosystem == MAVEN:
        namespace, _, pname = name.rpartition(":")
        namespace = namespace or None
    elif ecosystem in (NPM, GO, PACKAGIST, SWIFT, GITHUB_ACTIONS, CRAN, CONAN) and "/" in name:
        namespace, _, pname = name.rpartition("/")
    elif ecosystem == PYPI:
        pname = _PEP503.sub("-", name).lower()  # the pypi purl type mandates this form
    elif ecosystem == SWIFT:
        pname = name
    return PackageURL(type=ptype, namespace=namespace, name=pname, version=version).to_string()


def parse_purl(purl: str) -> PurlParts:
    """Ecosystem, name and version named by a purl; raises PurlError when it cannot."""
    try:
        parsed = PackageURL.from_string(purl)
    except ValueError as exc:
        raise PurlError(f"invalid purl {purl!r}: {exc}") from exc
    ecosystem = _ECOSYSTEM_OF_PURL_TYPE.get(parsed.type)
    if ecosystem is None:
        raise PurlError(f"unsupported purl type {parsed.type!r} in {purl!r}")
    namespace = unquote(parsed.namespace) if parsed.namespace else None
    name = unquote(parsed.name)
    if namespace:
        name = f"{namespace}:{name}" if ecosystem == MAVEN else f"{namespace}/{name}"
    version = unquote(parsed.version) if parsed.version else None
    return PurlParts(ecosystem=ecosystem, name=name, version=version)
