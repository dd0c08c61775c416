"""go.mod: the module requirements of a Go main module.

Since Go 1.17 a tidy go.mod lists every module the build needs, each at the version minimal
version selection picks, with `// indirect` on those no package of the main module imports;
so its versions are exact and `// indirect` means transitive. Versions keep their `v`.

- `exclude` removes a required version (Go ignores requirements on excluded versions);
- `replace old [v] => new v` swaps the module for another module version;
- `replace old [v] => ./dir` builds from a local directory: no registry package, so the
  original module is reported without a version and with a note;
- `go` and `toolchain` are not packages: they state the minimum language version and
  toolchain, not the toolchain that builds, so no exact Go (stdlib) version can be told.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

from deeptracy.ecosystems import GO
from deeptracy.inventory.interface import ExtractError, Extractor, ScanFile
from deeptracy.inventory.model import Location, Package

_KNOWN_VERBS = frozenset(
    {
        "module",
        "go",
        "toolchain",
        "godebug",
        "require",
        "exclude",
        "replace",
        "retract",
        "tool",
        "ignore",
    }
)


@dataclass(frozen=True, slots=True)
class Directive:
    verb: str
    args: tuple[str, ...]
    comment: str  # the trailing // comment, without the slashes
    line: int


def _tokens(text: str, number: int) -> tuple[list[str], str]:
    """The tokens of one go.mod line (quoted strings unquoted) and its trailing comment."""
    tokens: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
        elif text.startswith("//", i):
            return tokens, text[i + 2 :].strip()
        elif ch in "()":
            tokens.append(ch)
            i += 1
        elif ch == "`":
            end = text.find("`", i + 1)
            if end < 0:
                raise ExtractError(f"line {number}: unterminated raw string")
            tokens.append(text[i + 1 : end])
            i = end + 1
        elif ch == '"':
            out = []
            i += 1
            while i < len(text) and text[i] != '"':
                if text[i] == "\\" and i + 1 < len(text):
                    i += 1
                out.append(text[i])
                i += 1
            if i >= len(text):
                raise ExtractError(f"line {number}: unterminated string")
            tokens.append("".join(out))
            i += 1
        else:
            start = i
            while i < len(text) and not text[i].isspace() and text[i] not in '()"`':
                if text.startswith("//", i):
                    break
                i += 1
            tokens.append(text[start:i])
    return tokens, ""


def parse_gomod(text: str) -> list[Directive]:
    """Every directive, block entries expanded into single directives of their verb."""
    directives: list[Directive] = []
    block: str | None = None
    for number, line in enumerate(text.splitlines(), 1):
        tokens, comment = _tokens(line, number)
        if not tokens:
            continue
        if block is not None:
            if tokens == [")"]:
                block = None
            else:
                directives.append(Directive(block, tuple(tokens), comment, number))
            continue
        verb, args = tokens[0], tokens[1:]
        if args == ["("]:
            block = verb
        elif args == ["(", ")"]:
            continue
        else:
            directives.append(Directive(verb, tuple(args), comment, number))
    if block is not None:
        raise ExtractError(f"the {block} block is not closed with ')'")
    return directives


def _is_local(path: str) -> bool:
    # Go's rule: a replacement path starting with ./ or ../ (or absolute) is a directory.
    return (
        path.startswith(("./", "../", "/", ".\\", "..\\"))
        or path in (".", "..")
        or (len(path) > 2 and path[1] == ":" and path[2] in "\\/")
    )


def _is_indirect(comment: str) -> bool:
    return comment == "indirect" or comment.startswith("indirect;")


class GoModExtractor(Extractor):
    name = "go/gomod"
    ecosystem = GO
    filenames: ClassVar[frozenset[str]] = frozenset({"go.mod"})

    def extract(self, file: ScanFile) -> Iterable[Package]:
        directives = parse_gomod(file.text())
        requires: list[Directive] = []
        excluded: set[tuple[str, str]] = set()
        replaces: dict[tuple[str, str | None], Directive] = {}
        for d in directives:
            if d.verb == "require":
                if len(d.args) != 2:
                    file.warn("require needs a module path and a version", line=d.line)
                    continue
                requires.append(d)
            elif d.verb == "exclude":
                if len(d.args) != 2:
                    file.warn("exclude needs a module path and a version", line=d.line)
                    continue
                excluded.add((d.args[0], d.args[1]))
            elif d.verb == "replace":
                if "=>" not in d.args:
                    file.warn("replace without '=>'", line=d.line)
                    continue
                arrow = d.args.index("=>")
                old, new = d.args[:arrow], d.args[arrow + 1 :]
                if len(old) not in (1, 2) or len(new) not in (1, 2):
                    file.warn("replace needs 'old [version] => new [version]'", line=d.line)
                    continue
                if len(new) == 1 and not _is_local(new[0]):
                    file.warn(
                        f"replacement {new[0]!r} is neither a directory nor a module "
                        "with a version",
                        line=d.line,
                    )
                    continue
                replaces[(old[0], old[1] if len(old) == 2 else None)] = d
            elif d.verb not in _KNOWN_VERBS:
                file.warn(f"unknown directive {d.verb!r}", line=d.line)

        for d in requires:
            path, version = d.args
            if (path, version) in excluded:
                continue
            direct = not _is_indirect(d.comment)
            here = Location(file.path, d.line)
            replace = replaces.get((path, version)) or replaces.get((path, None))
            if replace is None:
                yield Package(GO, path, version, direct=direct, locations=(here,))
                continue
            target = replace.args[replace.args.index("=>") + 1 :]
            where = (here, Location(file.path, replace.line))
            if len(target) == 1:
                yield Package(
                    GO,
                    path,
                    direct=direct,
                    locations=where,
                    note=f"replaced by the local directory {target[0]} (required {version}); "
                    "not a registry module",
                )
            else:
                yield Package(
                    GO,
                    target[0],
                    target[1],
                    direct=direct,
                    locations=where,
                    note=f"replaces {path} {version}",
                )
