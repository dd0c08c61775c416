"""pip requirements files (requirements*.txt, and *.txt in a requirements/ directory).

pip's own syntax, read without pip: `\\` joins lines, `#` after whitespace starts a comment,
`-r`/`-c` include other files (read inside the tree only, each once), option lines configure
pip and name no package, `--hash` and other per-requirement options are dropped. `name==1.2.3`
is an exact version, any other specifier a declared range. URL, VCS, editable and local-path
requirements are kept with a note when a name can be found (`#egg=`, `name @ url`, a wheel or
sdist file name). pip-compile's `# via` annotations tell direct from transitive.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)

from deeptracy.ecosystems import PYPI, normalize_name, purl_for
from deeptracy.inventory.extractors.python.pep508 import (
    RequirementError,
    exact_pin,
    parse_requirement,
    pypi_package,
    requirement_package,
)
from deeptracy.inventory.interface import ExtractError, Extractor, FileKind, ScanFile
from deeptracy.inventory.model import Location, Package

_COMMENT = re.compile(r"(^|\s+)#.*$")
_VIA = re.compile(r"^\s*#\s+via(?:\s+(?P<item>\S.*))?$")
_VIA_ITEM = re.compile(r"^\s*#\s{2,}(?P<item>\S.*)$")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_VCS = ("git+", "hg+", "svn+", "bzr+")
_ARCHIVES = (".whl", ".tar.gz", ".zip", ".tar.bz2", ".tgz", ".tar.xz", ".tar")
_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$")
_NAMED_URL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\s*(?:\[[^\]]*\])?\s*@")
_MAX_DEPTH = 32

# pip options that configure the run and name no package.
_GLOBAL_FLAGS = frozenset(
    {"--no-index", "--pre", "--prefer-binary", "--require-hashes", "-Z", "--always-unzip"}
)
_GLOBAL_WITH_VALUE = frozenset(
    {
        "-i",
        "--index-url",
        "--extra-index-url",
        "-f",
        "--find-links",
        "--trusted-host",
        "--only-binary",
        "--no-binary",
        "--use-feature",
        "--config-settings",
        "--global-option",
    }
)
_INCLUDES = {"-r": "-r", "--requirement": "-r", "-c": "-c", "--constraint": "-c"}
_EDITABLE = ("-e", "--editable")


@dataclass
class _Requirement:
    package: Package
    pinned: bool


@dataclass
class _Pins:
    """Exact versions from constraint files: they pin the requirements they name."""

    by_name: dict[str, tuple[str, Location]] = field(default_factory=dict)


class RequirementsTxtExtractor(Extractor):
    name = "python/requirements"
    ecosystem = PYPI
    kind = FileKind.MANIFEST
    # "*.txt" makes every text file a candidate; `wants` keeps those of a requirements/ dir.
    patterns = ("requirements*.txt", "*-requirements.txt", "*_requirements.txt", "*.txt")

    def wants(self, path: PurePosixPath) -> bool:
        if path.parent.name == "requirements" and path.suffix == ".txt":
            return True
        return any(fnmatchcase(path.name, p) for p in self.patterns[:3])

    def extract(self, file: ScanFile) -> Iterable[Package]:
        reader = _Reader(file)
        reader.read(file.path, file.text(), constraint=False, stack=(file.path,))
        return reader.packages()


class _Reader:
    def __init__(self, file: ScanFile) -> None:
        self.file = file
        self.requirements: list[_Requirement] = []
        self.pins = _Pins()
        self.seen: set[str] = {file.path}

    def packages(self) -> list[Package]:
        out = []
        for item in self.requirements:
            pkg = item.package
            pin = self.pins.by_name.get(normalize_name(PYPI, pkg.name))
            if pin is not None and not item.pinned and pkg.note is None:
                version, where = pin  # pip installs the constrained version
                # The requirement's own line stays first: it tells which file the package is of.
                pkg = replace(
                    pkg,
                    version=version,
                    locations=(*pkg.locations, where),
                    purl=purl_for(PYPI, pkg.name, version),
                )
            out.append(pkg)
        return out

    def read(self, path: str, text: str, *, constraint: bool, stack: tuple[str, ...]) -> None:
        last: _Requirement | None = None  # the requirement pip-compile comments may annotate
        vias: list[str] | None = None
        for number, line, comment in _logical_lines(text):
            if line:
                last, vias = None, None
                try:
                    if line.startswith("-"):
                        last = self.option(path, number, line, constraint=constraint, stack=stack)
                    else:
                        last = self.requirement(path, number, line, constraint=constraint)
                except RequirementError as exc:
                    self.file.warn(str(exc), number, path)
            if comment is None or last is None:
                continue
            vias = _via(comment, vias)
            if vias is None:
                last = None  # another comment ends the annotations
            else:
                last.package = _with_direct(last.package, vias)

    def requirement(
        self, path: str, number: int, line: str, *, constraint: bool, editable: bool = False
    ) -> _Requirement | None:
        text = line if editable else _strip_options(line)
        if _is_location(text):
            pkg = self.location(path, number, text, editable=editable)
            found = _Requirement(pkg, False) if pkg is not None else None
        else:
            req = parse_requirement(text)
            pinned = exact_pin(req)
            if constraint:
                if pinned is not None and not req.url:
                    key = normalize_name(PYPI, req.name)
                    self.pins.by_name.setdefault(key, (pinned, Location(path, number)))
                return None  # a constraint is not a requirement
            pkg = requirement_package(
                req, path=path, line=number, direct=None, scope=None, pins_are_exact=True
            )
            found = _Requirement(pkg, pinned is not None)
        if found is not None and not constraint:
            self.requirements.append(found)
        return found

    def location(self, path: str, number: int, text: str, *, editable: bool) -> Package | None:
        """A requirement given as a URL, VCS URL or local path (a name may be in it)."""
        name = _egg_name(text) or _archive_name(text)
        kind = "editable " if editable else ""
        if text.startswith(_VCS):
            kind += "VCS requirement"
        elif _URL.match(text):
            kind += "URL requirement"
        else:
            kind += "local path requirement"
        if name is None:
            self.file.warn(
                f"cannot name the package of {kind} {text!r} (no #egg=name); not reported",
                number,
                path,
            )
            return None
        return pypi_package(
            name, path=path, line=number, note=f"{kind}, version unknown from the files: {text}"
        )

    def option(
        self, path: str, number: int, line: str, *, constraint: bool, stack: tuple[str, ...]
    ) -> _Requirement | None:
        try:
            words = shlex.split(line, comments=False, posix=True)
        except ValueError as exc:
            raise RequirementError(f"cannot read option line {line!r}: {exc}") from None
        if not words:
            return None
        flag, value = _split_option(words)
        if flag in _EDITABLE:
            if not value:
                raise RequirementError(f"{flag} without a requirement")
            return self.requirement(path, number, value, constraint=constraint, editable=True)
        if flag in _INCLUDES:
            if not value:
                raise RequirementError(f"{flag} without a file name")
            self.include(
                path, number, value, constraint=constraint or _INCLUDES[flag] == "-c", stack=stack
            )
            return None
        if flag in _GLOBAL_FLAGS or flag in _GLOBAL_WITH_VALUE:
            return None
        self.file.warn(f"unknown option {flag!r}; line ignored", number, path)
        return None

    def include(
        self, path: str, number: int, value: str, *, constraint: bool, stack: tuple[str, ...]
    ) -> None:
        if _URL.match(value):
            self.file.warn(f"remote requirements file {value!r} not read", number, path)
            return
        target = posixpath.normpath(posixpath.join(posixpath.dirname(path), value))
        if target in stack:
            chain = " -> ".join((*stack, target))
            self.file.warn(f"include cycle {chain}; not read again", number, path)
            return
        if target in self.seen:
            return  # already read through another include
        if len(stack) >= _MAX_DEPTH:
            self.file.warn(
                f"includes nested deeper than {_MAX_DEPTH}; {value!r} not read", number, path
            )
            return
        self.seen.add(target)
        try:
            data = self.file.read(posixpath.relpath(target, self.file.directory or "."))
            text = data.decode("utf-8").removeprefix("\ufeff")
        except ExtractError as exc:
            self.file.warn(f"cannot read included file {value!r}: {exc}", number, path)
            return
        except UnicodeDecodeError as exc:
            self.file.warn(f"included file {value!r} is not UTF-8 (byte {exc.start})", number, path)
            return
        self.read(target, text, constraint=constraint, stack=(*stack, target))


def _logical_lines(text: str) -> Iterator[tuple[int, str, str | None]]:
    """(first line number, content without its comment, the comment or None).

    Continuations follow pip: a line ending with a backslash is joined to the next, except a
    comment line, which ends the logical line.
    """
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        is_comment = bool(_COMMENT.match(raw))
        if raw.endswith("\\") and not is_comment:
            if not pending:
                start = number
            pending.append(raw[:-1])
            continue
        if pending:
            pending.append(" " + raw if is_comment else raw)
            joined, pending = "".join(pending), []
            yield start, _COMMENT.sub("", joined).strip(), None
            continue
        comment = _COMMENT.search(raw)
        yield number, _COMMENT.sub("", raw).strip(), comment.group().strip() if comment else None
    if pending:
        yield start, _COMMENT.sub("", "".join(pending)).strip(), None


def _via(comment: str, vias: list[str] | None) -> list[str] | None:
    """pip-compile's annotations after a requirement: `# via x` or `# via` and `#   x` lines."""
    head = _VIA.match(comment)
    if head is not None:
        return [head.group("item")] if head.group("item") else []
    item = _VIA_ITEM.match(comment)
    if item is not None and vias is not None:
        return [*vias, item.group("item")]
    return None


def _with_direct(pkg: Package, vias: list[str]) -> Package:
    if not vias:
        return pkg
    return replace(pkg, direct=any(v.startswith(("-r ", "--requirement")) for v in vias))


def _strip_options(line: str) -> str:
    """The requirement part of a line, without `--hash=...` and other trailing options."""
    words = line.split()
    for i, word in enumerate(words):
        if word.startswith("-"):
            return " ".join(words[:i])
    return " ".join(words)


def _split_option(words: list[str]) -> tuple[str, str]:
    """("-r", "base.txt") from ["-r", "base.txt"], ["-rbase.txt"] or ["--requirement=base.txt"]."""
    head = words[0]
    if head.startswith("--") and "=" in head:
        flag, value = head.split("=", 1)
        return flag, value
    if not head.startswith("--") and len(head) > 2 and head[:2] in ("-r", "-c", "-e", "-i", "-f"):
        return head[:2], head[2:]
    if head in _GLOBAL_FLAGS:
        return head, ""
    return head, " ".join(words[1:2])


def _is_location(text: str) -> bool:
    """A URL, VCS URL, local path or archive file, rather than a PEP 508 requirement (which
    may itself be `name @ url`)."""
    head = text.split(";", 1)[0].strip()
    if _NAMED_URL.match(head):
        return False
    return (
        bool(_URL.match(head))
        or head.startswith((*_VCS, ".", "/", "~"))
        or "/" in head
        or "\\" in head
        or head.lower().endswith(_ARCHIVES)
    )


def _egg_name(text: str) -> str | None:
    fragment = urlsplit(text).fragment
    for part in fragment.split("&"):
        key, _, value = part.partition("=")
        if key == "egg" and value:
            name = unquote(value).split("[", 1)[0].strip()
            return name if _NAME.match(name) else None
    return None


def _archive_name(text: str) -> str | None:
    base = unquote(urlsplit(text).path.rsplit("/", 1)[-1])
    try:
        if base.endswith(".whl"):
            return str(parse_wheel_filename(base)[0])
        return str(parse_sdist_filename(base)[0])
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None
