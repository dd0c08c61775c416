"""Cargo.lock (format v1 to v4): every crate of the resolved graph.

Packages without `source` are the workspace's own crates (members and path dependencies):
not dependencies. Their `dependencies` lists name the direct dependencies, so direct and
transitive are told from the lockfile alone. Crates from git have no registry release: no
version, and a note with the repository, commit and the crate's declared version. Crates of
another registry keep their version with a note naming it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlsplit

from deeptracy.ecosystems import CRATES_IO
from deeptracy.inventory.extractors.shapes import as_array, as_object, kind_of, opt_array, opt_str
from deeptracy.inventory.interface import ExtractError, Extractor, ScanFile
from deeptracy.inventory.model import Location, Package

_CRATES_IO_SOURCES = frozenset(
    {"registry+https://github.com/rust-lang/crates.io-index", "sparse+https://index.crates.io/"}
)


@dataclass(frozen=True, slots=True)
class _Crate:
    name: str
    version: str
    source: str | None
    dependencies: tuple[str, ...]


def _crate(entry: dict[str, Any], where: str) -> _Crate:
    name, version = opt_str(entry.get("name")), opt_str(entry.get("version"))
    if name is None or version is None:
        raise ExtractError(f"{where} has no name or version")
    deps = tuple(d.strip() for d in opt_array(entry.get("dependencies")) if isinstance(d, str))
    return _Crate(name, version, opt_str(entry.get("source")), deps)


class CargoLockExtractor(Extractor):
    name = "rust/cargo-lock"
    ecosystem = CRATES_IO
    filenames: ClassVar[frozenset[str]] = frozenset({"Cargo.lock"})

    def extract(self, file: ScanFile) -> Iterable[Package]:
        try:
            data = tomllib.loads(file.text())
        except tomllib.TOMLDecodeError as exc:
            raise ExtractError(f"invalid TOML: {exc}") from None
        except RecursionError:
            raise ExtractError("TOML nested too deeply") from None
        entries = as_array(data.get("package", []), "'package'")
        crates: list[_Crate] = []
        if "root" in data:  # format v1 kept the root crate apart
            crates.append(_crate(as_object(data["root"], "[root]"), "[root]"))
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict):
                file.warn(f"package #{index + 1} is {kind_of(entry)}, not a table")
                continue
            try:
                crates.append(_crate(entry, f"package #{index + 1}"))
            except ExtractError as exc:
                file.warn(str(exc))

        local = [c for c in crates if c.source is None]
        direct_refs = {ref for crate in local for ref in crate.dependencies}
        for crate in crates:
            if crate.source is None:
                continue
            direct = _is_referenced(crate, direct_refs) if local else None
            version: str | None = crate.version
            note = None
            if crate.source.startswith("git+"):
                url, _, commit = crate.source.removeprefix("git+").partition("#")
                version = None
                note = f"git {urlsplit(url)._replace(query='').geturl()} at {commit or '?'}"
                note += f" (crate version {crate.version})"
            elif crate.source not in _CRATES_IO_SOURCES:
                note = f"from the registry {crate.source.partition('+')[2] or crate.source}"
            yield Package(
                CRATES_IO,
                crate.name,
                version,
                direct=direct,
                locations=(Location(file.path),),
                note=note,
            )


def _is_referenced(crate: _Crate, refs: set[str]) -> bool:
    """Whether a dependency entry ("name", "name version" or "name version (source)") names
    this crate."""
    return (
        crate.name in refs
        or f"{crate.name} {crate.version}" in refs
        or f"{crate.name} {crate.version} ({crate.source})" in refs
    )
