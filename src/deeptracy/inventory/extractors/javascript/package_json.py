"""package.json: the dependencies a project declares (a manifest; a lockfile beside it wins)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from deeptracy.ecosystems import NPM
from deeptracy.inventory.extractors.javascript.npm import classify_spec, npm_package
from deeptracy.inventory.extractors.support.jsontext import KeyLocator, type_name
from deeptracy.inventory.extractors.support.siblings import read_sibling_text
from deeptracy.inventory.interface import ExtractError, Extractor, FileKind, ScanFile
from deeptracy.inventory.model import Package, Scope

# Sections in the order npm gives them precedence; the scope each one means.
SECTIONS: tuple[tuple[str, Scope | None], ...] = (
    ("dependencies", None),
    ("optionalDependencies", Scope.OPTIONAL),
    ("peerDependencies", Scope.PEER),
    ("devDependencies", Scope.DEV),
)

LOCKFILES = frozenset(
    {"package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lock"}
)


@dataclass
class Manifest:
    """The declarations of a package.json, as lockfile extractors use them."""

    name: str | None = None
    # (dependency name, specifier, scope) in file order, section by section.
    declared: list[tuple[str, str, Scope | None]] = field(default_factory=list)
    has_workspaces: bool = False

    def names(self) -> set[str]:
        return {name for name, _, _ in self.declared}


def parse_manifest(data: object) -> Manifest:
    """A tolerant reading: what is not where or what it should be is left out."""
    manifest = Manifest()
    if not isinstance(data, dict):
        return manifest
    if isinstance(data.get("name"), str):
        manifest.name = data["name"]
    manifest.has_workspaces = bool(data.get("workspaces"))
    for section, scope in SECTIONS:
        deps = data.get(section)
        if isinstance(deps, dict):
            manifest.declared.extend(
                (name, spec, scope) for name, spec in deps.items() if isinstance(spec, str)
            )
    return manifest


def read_manifest(file: ScanFile, relative: str = "package.json") -> Manifest | None:
    """The package.json at `relative` from `file`, or None when absent or unreadable."""
    text = read_sibling_text(file, relative)
    if text is None:
        return None
    try:
        return parse_manifest(json.loads(text))
    except ValueError as exc:
        file.warn(
            f"package.json beside {file.name} is not valid JSON ({exc}); direct "
            "dependencies and scopes not derived from it"
        )
        return None


class PackageJsonExtractor(Extractor):
    name = "javascript/package-json"
    ecosystem = NPM
    kind = FileKind.MANIFEST
    filenames = frozenset({"package.json"})
    superseded_by = LOCKFILES

    def extract(self, file: ScanFile) -> Iterable[Package]:
        text = file.text()
        data = file.json()
        if not isinstance(data, dict):
            raise ExtractError(f"top level is {type_name(data)}, not an object")
        return list(self._packages(file, data, KeyLocator(text)))

    def _packages(
        self, file: ScanFile, data: dict[str, object], loc: KeyLocator
    ) -> Iterator[Package]:
        scopes = dict(SECTIONS)
        for section, deps in data.items():  # file order, so the locator only moves forward
            if section not in scopes:
                continue
            section_line = loc.line_of(section)
            if not isinstance(deps, dict):
                file.warn(f"{section} is {type_name(deps)}, not an object; ignored", section_line)
                continue
            for dep, spec in deps.items():
                line = loc.line_of(dep)
                if not isinstance(spec, str):
                    file.warn(
                        f"{section}.{dep}: version is {type_name(spec)}, not a string; ignored",
                        line or section_line,
                    )
                    continue
                real, declared, note = classify_spec(dep, spec)
                yield npm_package(
                    real,
                    None,
                    path=file.path,
                    line=line,
                    direct=True,
                    scope=scopes[section],
                    declared=declared,
                    note=note,
                )
