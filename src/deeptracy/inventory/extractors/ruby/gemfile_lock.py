"""Gemfile.lock (and gems.locked), the lockfile Bundler writes.

Sections start at column 0. Source sections (GEM, GIT, PATH, PLUGIN SOURCE) list `specs:`,
one gem per 4-space line, `name (version)` or `name (version-platform)` for a platform gem;
6-space lines below are that gem's own requirements. Bundler splits a spec's version at the
first '-' (platform gems), and so does this reader.

- GEM gems are RubyGems packages with exact versions; one gem locked for several platforms
  is one package with each line as a location.
- GIT and PATH gems are not registry releases: no version, a note with the source. A PATH
  source at "." is the project's own gemspec: not a dependency.
- DEPENDENCIES names the Gemfile's gems: those are direct, every other gem transitive.
- BUNDLED WITH (Bundler's version), RUBY VERSION, PLATFORMS, CHECKSUMS are not packages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import ClassVar

from deeptracy.ecosystems import RUBYGEMS
from deeptracy.inventory.interface import ExtractError, Extractor, ScanFile
from deeptracy.inventory.model import Location, Package

_SOURCES = frozenset({"GEM", "GIT", "PATH", "PLUGIN SOURCE"})
_OTHER_SECTIONS = frozenset(
    {"PLATFORMS", "DEPENDENCIES", "RUBY VERSION", "BUNDLED WITH", "CHECKSUMS"}
)
_SPEC = re.compile(r"    (?P<name>[^\s()]+) \((?P<version>[^-)\s]+)(?:-(?P<platform>[^)\s]+))?\)")
_DEPENDENCY = re.compile(r"  (?P<name>[^\s()!]+)!?(?: \([^)]*\))?")
_OPTION = re.compile(r"  (?P<key>[a-z_]+): ?(?P<value>.*)")


@dataclass
class _Source:
    kind: str
    options: dict[str, str] = field(default_factory=dict)
    specs: list[tuple[str, str, int]] = field(default_factory=list)  # name, version, line


class GemfileLockExtractor(Extractor):
    name = "ruby/gemfile-lock"
    ecosystem = RUBYGEMS
    filenames: ClassVar[frozenset[str]] = frozenset({"Gemfile.lock", "gems.locked"})

    def extract(self, file: ScanFile) -> Iterable[Package]:
        sources: list[_Source] = []
        direct: set[str] = set()
        has_dependencies = False
        section: str | None = None
        in_specs = False
        unknown: list[tuple[str, int]] = []  # reported only if the file is a Gemfile.lock
        for number, line in enumerate(file.text().splitlines(), 1):
            if not line.strip():
                continue
            if not line[0].isspace():
                section = line.strip()
                in_specs = False
                if section in _SOURCES:
                    sources.append(_Source(section))
                elif section == "DEPENDENCIES":
                    has_dependencies = True
                elif section not in _OTHER_SECTIONS:
                    unknown.append((section, number))
                continue
            if section in _SOURCES:
                source = sources[-1]
                if line.startswith("    "):
                    if not in_specs:
                        file.warn("gem line outside 'specs:'", line=number)
                    elif not line.startswith("      "):  # 6 spaces: a requirement of the gem
                        spec = _SPEC.fullmatch(line.rstrip())
                        if spec is None:
                            file.warn(f"unreadable gem spec {line.strip()[:80]!r}", line=number)
                        else:
                            source.specs.append((spec["name"], spec["version"], number))
                elif line.rstrip() == "  specs:":
                    in_specs = True
                elif option := _OPTION.fullmatch(line.rstrip()):
                    source.options.setdefault(option["key"], option["value"].strip())
            elif section == "DEPENDENCIES":
                dependency = _DEPENDENCY.fullmatch(line.rstrip())
                if dependency is None:
                    file.warn(f"unreadable dependency {line.strip()[:80]!r}", line=number)
                else:
                    direct.add(dependency["name"])
        if not sources and not has_dependencies:
            raise ExtractError("no GEM, GIT, PATH or DEPENDENCIES section: not a Gemfile.lock")
        for name, number in unknown:
            file.warn(f"unknown section {name[:60]!r}", line=number)

        found: dict[tuple[str, str | None, str | None], Package] = {}
        for source in sources:
            version_kept, note = _provenance(source)
            if note == "":
                continue  # the project's own gemspec
            for name, version, number in source.specs:
                here = Location(file.path, number)
                key = (name, version if version_kept else None, note)
                prior = found.get(key)
                if prior is not None:  # the same gem locked for another platform
                    found[key] = prior.with_locations((*prior.locations, here))
                    continue
                found[key] = Package(
                    RUBYGEMS,
                    name,
                    version if version_kept else None,
                    direct=(name in direct) if has_dependencies else None,
                    locations=(here,),
                    note=note if version_kept else f"{note} (gem version {version})",
                )
        return list(found.values())


def _provenance(source: _Source) -> tuple[bool, str | None]:
    """(whether versions are registry releases, note); note "" means: skip the source."""
    remote = source.options.get("remote", "?")
    if source.kind == "GEM":
        return True, None
    if source.kind == "GIT":
        ref = source.options.get("revision") or source.options.get("ref") or "?"
        return False, f"git {remote} at {ref}"
    if source.kind == "PATH":
        if remote in (".", "./"):
            return False, ""
        return False, f"local path {remote}"
    return False, f"Bundler plugin source {remote}"
