"""`.deeptracy.yml`: the per-repository file of ignore rules, skipped paths and the threshold.

The file comes from the scanned repository, so it is untrusted input: its size is bounded, it
is parsed with the safe YAML loader, aliases may not expand it beyond a fixed number of nodes,
and every mistake (bad YAML, a wrong type, an unknown or duplicated key) is a RepoConfigError
that names the line. Unknown keys are errors rather than warnings because a misspelt `ignore`
or `fail_on` would otherwise silently change what a scan reports.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from deeptracy.ecosystems import KNOWN_ECOSYSTEMS, canonical_ecosystem
from deeptracy.inventory.walker import WalkOptions
from deeptracy.scanning.suppress import (
    REPO_CONFIG_SOURCE,
    Justification,
    Suppression,
    SuppressionState,
)
from deeptracy.severity import Severity

CONFIG_FILENAME = ".deeptracy.yml"
MAX_CONFIG_BYTES = 256 * 1024
MAX_YAML_NODES = 20_000  # after alias expansion; a real file has a few hundred
MAX_YAML_DEPTH = 32  # the schema needs 4 levels
MAX_ERRORS_SHOWN = 10


@dataclass(frozen=True, slots=True)
class Problem:
    message: str
    line: int | None = None


class RepoConfigError(ValueError):
    """A `.deeptracy.yml` that cannot be used; str() gives "file:line: message" per problem."""

    def __init__(self, source: str, problems: list[Problem] | tuple[Problem, ...]) -> None:
        self.source = source
        self.problems = tuple(problems)
        super().__init__(
            "\n".join(
                f"{source}:{p.line}: {p.message}" if p.line else f"{source}: {p.message}"
                for p in self.problems
            )
        )

    @property
    def line(self) -> int | None:
        """The line of the first problem, when known."""
        return self.problems[0].line if self.problems else None


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class PackageSelector(_Strict):
    """The package an ignore rule is limited to; names compare under the ecosystem's rules."""

    name: str = Field(min_length=1)
    ecosystem: str | None = None

    @field_validator("ecosystem")
    @classmethod
    def _known_ecosystem(cls, value: str | None) -> str | None:
        if value is None:
            return None
        canonical = canonical_ecosystem(value)
        if canonical.partition(":")[0] not in KNOWN_ECOSYSTEMS:
            known = ", ".join(sorted(KNOWN_ECOSYSTEMS))
            raise ValueError(f"unknown ecosystem {value!r}; use an OSV name: {known}")
        return canonical


RuleState = Literal["not_affected", "false_positive", "accepted_risk"]


class IgnoreRule(_Strict):
    """Suppresses the findings of one advisory (by its id or any alias), optionally for one
    package only, for a stated reason, optionally until a date."""

    id: str = Field(min_length=1)
    package: PackageSelector | None = None
    reason: str = Field(min_length=1)
    expires: date | None = None
    state: RuleState | None = None
    justification: Justification | None = None

    @field_validator("package", mode="before")
    @classmethod
    def _package_shorthand(cls, value: object) -> object:
        return {"name": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _justification_needs_not_affected(self) -> IgnoreRule:
        if self.justification is not None and self.state != "not_affected":
            raise ValueError("'justification' is only allowed with state: not_affected")
        return self

    def expired(self, today: date) -> bool:
        """True once `today` is past the expiry date; the rule still applies on that day."""
        return self.expires is not None and today > self.expires

    def suppression(self) -> Suppression:
        state = SuppressionState(self.state) if self.state else SuppressionState.IGNORED
        return Suppression(
            state=state,
            reason=self.reason,
            source=REPO_CONFIG_SOURCE,
            expires=self.expires,
            justification=self.justification,
            rule=self.id,
        )

    def describe(self) -> str:
        """ "CVE-2023-1234 (PyPI django)": what the rule names, for messages."""
        if self.package is None:
            return self.id
        eco = f"{self.package.ecosystem} " if self.package.ecosystem else ""
        return f"{self.id} ({eco}{self.package.name})"

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "package": self.package.name if self.package else None,
            "ecosystem": self.package.ecosystem if self.package else None,
            "reason": self.reason,
            "expires": self.expires.isoformat() if self.expires else None,
            "state": self.state,
        }


class RepoConfig(_Strict):
    """What a repository asks of its scans. `lang` (the original's only key) is accepted and
    ignored: languages are now found from the files themselves."""

    ignore: tuple[IgnoreRule, ...] = ()
    paths: tuple[str, ...] = ()
    fail_on: Severity | None = None

    @model_validator(mode="before")
    @classmethod
    def _drop_lang(cls, data: object) -> object:
        if isinstance(data, dict) and "lang" in data:
            return {key: value for key, value in data.items() if key != "lang"}
        return data

    @field_validator("ignore", "paths", mode="before")
    @classmethod
    def _null_is_empty(cls, value: object) -> object:
        return () if value is None else value  # "ignore:" with every rule commented out

    @field_validator("paths")
    @classmethod
    def _non_empty_globs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for glob in value:
            if not glob.strip().strip("/"):
                raise ValueError("a path glob cannot be empty")
        return value

    @field_validator("fail_on", mode="before")
    @classmethod
    def _severity_any_case(cls, value: object) -> object:
        return Severity.parse(value) if isinstance(value, str) else value

    def walk_options(self, base: WalkOptions | None = None) -> WalkOptions:
        """Walker options that also skip this repository's `paths`."""
        base = base or WalkOptions()
        return replace(base, ignore_paths=(*base.ignore_paths, *self.paths))


def load_repo_config(root: Path) -> RepoConfig:
    """The `.deeptracy.yml` at the root of a checked-out tree, or the defaults when absent.

    The file must be a regular file inside the tree (a symlink to elsewhere is refused, so a
    repository cannot make the scanner read and echo a host file).
    """
    path = root / CONFIG_FILENAME
    try:
        info = path.lstat()
    except FileNotFoundError:
        return RepoConfig()
    except OSError as exc:
        raise RepoConfigError(CONFIG_FILENAME, [Problem(f"cannot read: {exc.strerror}")]) from None
    if stat.S_ISLNK(info.st_mode):
        real, tree = path.resolve(), root.resolve()
        if tree not in real.parents:
            raise RepoConfigError(
                CONFIG_FILENAME, [Problem("is a symbolic link that leads outside the tree")]
            )
        info = real.stat()
        path = real
    if not stat.S_ISREG(info.st_mode):
        raise RepoConfigError(CONFIG_FILENAME, [Problem("is not a regular file")])
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as handle:
        data = handle.read(MAX_CONFIG_BYTES + 1)
    return parse_repo_config(data, source=CONFIG_FILENAME)


def parse_repo_config(data: bytes, *, source: str = CONFIG_FILENAME) -> RepoConfig:
    """Validate the bytes of a `.deeptracy.yml`; raises RepoConfigError."""
    if len(data) > MAX_CONFIG_BYTES:
        raise RepoConfigError(
            source, [Problem(f"file is larger than {MAX_CONFIG_BYTES // 1024} KiB; not read")]
        )
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise RepoConfigError(source, [Problem(f"not UTF-8 text (byte {exc.start})")]) from None

    node, document = _load_yaml(text, source)
    if document is None:
        return RepoConfig()
    if not isinstance(document, dict):
        raise RepoConfigError(
            source, [Problem("the file must be a mapping of keys (ignore, paths, fail_on)", 1)]
        )
    try:
        return RepoConfig.model_validate(document)
    except ValidationError as exc:
        raise RepoConfigError(source, _problems(exc, node)) from None


def _load_yaml(text: str, source: str) -> tuple[yaml.Node | None, Any]:
    """The node tree (for line numbers) and the constructed document."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        _check_nodes(node, source)
        return node, loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        # Our own message, without the snippet PyYAML quotes from the file.
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or exc.context or "cannot be parsed"
        context = f" ({exc.context})" if exc.context and exc.problem else ""
        line = mark.line + 1 if mark is not None else None
        raise RepoConfigError(source, [Problem(f"invalid YAML: {what}{context}", line)]) from None
    except yaml.YAMLError as exc:
        raise RepoConfigError(source, [Problem(f"invalid YAML: {exc}")]) from None
    except RecursionError:  # PyYAML composes nested collections recursively
        raise RepoConfigError(source, [Problem("the document is nested too deeply")]) from None
    finally:
        loader.dispose()


def _check_nodes(root: yaml.Node, source: str) -> None:
    """Refuse duplicate keys, recursive aliases and documents that aliases blow up.

    Sizes are counted as if every alias were expanded, memoised per node, so an alias bomb
    is measured in time linear to its text without ever being expanded.
    """
    sizes: dict[int, int] = {}
    visiting: set[int] = set()

    def size(node: yaml.Node, depth: int = 0) -> int:
        if depth > MAX_YAML_DEPTH:
            raise RepoConfigError(
                source, [Problem("the document is nested too deeply", node.start_mark.line + 1)]
            )
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in visiting:
            raise RepoConfigError(
                source, [Problem("recursive YAML alias", node.start_mark.line + 1)]
            )
        visiting.add(key)
        total = 1
        if isinstance(node, yaml.MappingNode):
            seen: dict[object, int] = {}
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode):
                    line = k.start_mark.line + 1
                    if k.value in seen:
                        raise RepoConfigError(
                            source,
                            [
                                Problem(
                                    f"duplicate key {k.value!r} (first on line {seen[k.value]})",
                                    line,
                                )
                            ],
                        )
                    seen[k.value] = line
                total += size(k, depth + 1) + size(v, depth + 1)
        elif isinstance(node, yaml.SequenceNode):
            total += sum(size(item, depth + 1) for item in node.value)
        visiting.discard(key)
        sizes[key] = total
        if total > MAX_YAML_NODES:
            raise RepoConfigError(
                source,
                [
                    Problem(
                        f"the document expands to more than {MAX_YAML_NODES} YAML nodes "
                        "(an alias bomb?); not read",
                        node.start_mark.line + 1,
                    )
                ],
            )
        return total

    size(root)


def _problems(exc: ValidationError, root: yaml.Node | None) -> list[Problem]:
    problems: list[Problem] = []
    for error in exc.errors(include_url=False)[:MAX_ERRORS_SHOWN]:
        loc = tuple(error["loc"])
        where = _dotted(loc)
        kind = error["type"]
        if kind == "extra_forbidden":
            parent = _dotted(loc[:-1])
            message = f"unknown key {loc[-1]!r}" + (f" in {parent}" if parent else "")
            message += f" (allowed: {_allowed_keys(loc[:-1])})"
        elif kind == "missing":
            message = f"{where}: required key is missing"
        elif kind == "model_type":
            wanted = (
                "a name, or a mapping with name and ecosystem"
                if loc[-1] == "package"
                else ("a mapping with id and reason" if loc[:1] == ("ignore",) else "a mapping")
            )
            message = f"{where}: expected {wanted}"
        else:
            text = str(error["msg"]).removeprefix("Value error, ")
            text = text.replace("a valid tuple", "a list")
            if kind.startswith("date"):
                text += " (write YYYY-MM-DD)"
            message = f"{where}: {text}" if where else text
        problems.append(Problem(message, _line_of(root, loc)))
    return problems


def _dotted(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _allowed_keys(parent: tuple[int | str, ...]) -> str:
    names = [str(p) for p in parent if isinstance(p, str)]
    if names[:1] == ["ignore"]:
        model = PackageSelector if names[1:2] == ["package"] else IgnoreRule
        return ", ".join(model.model_fields)
    return ", ".join([*RepoConfig.model_fields, "lang"])


def _line_of(root: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """The line of the deepest node `loc` reaches (the key's line for mapping entries)."""
    if root is None:
        return None
    node: yaml.Node = root
    line = node.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            pair = next((kv for kv in node.value if str(kv[0].value) == str(part)), None)
            if pair is None:
                break
            line = pair[0].start_mark.line + 1
            node = pair[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if not 0 <= part < len(node.value):
                break
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line
