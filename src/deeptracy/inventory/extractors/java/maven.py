"""pom.xml: the dependencies of Maven's effective model, computed from files alone.

Maven assembles a POM with its parents (inheritance), interpolates `${...}`, imports BOMs
into dependencyManagement and fills missing versions and scopes from it. This module does the
same with what the scanned tree holds — never the network, never `mvn`:

- parents are found by `relativePath` (default `../pom.xml`, a folder means its pom.xml) and
  must match the declared groupId:artifactId:version, as Maven checks;
- imported BOMs (`<scope>import</scope>`) are looked up by coordinates among the POMs of the
  aggregator reachable from the scanned POM and its parents (`<modules>`);
- a version that stays unknown (property not found, parent or BOM not in the tree) gives a
  package with no version and a note that says why, never a guess.

Every dependency of a pom.xml is direct (the file names it). Dependencies declared in
`<profiles>` and build plugins are not read: whether a profile is active is decided at build
time, and plugins are build tools rather than dependencies of the artifact.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from deeptracy.ecosystems import MAVEN
from deeptracy.inventory.extractors.java.interpolate import Interpolator, Resolved
from deeptracy.inventory.extractors.java.pom import Pom, PomDependency, pom_path, read_pom
from deeptracy.inventory.interface import ExtractError, Extractor, FileKind, ScanFile
from deeptracy.inventory.model import Location, Package, Scope

MAX_POMS = 5000  # POMs one tree may make us read for parents and BOMs
ManagedKey = tuple[str, str, str, str]  # groupId, artifactId, type, classifier
_EXACT_RANGE = re.compile(r"\[\s*([^,\[\]()\s]+)\s*\]")
_SCOPES = {"test": Scope.TEST, "provided": Scope.PROVIDED, "system": Scope.PROVIDED}


@dataclass(frozen=True, slots=True)
class Managed:
    """A dependencyManagement entry, interpolated in the context of the POM that states it."""

    version: Resolved | None  # None: the entry manages no version
    raw_version: str | None
    scope: str | None


@dataclass(frozen=True, slots=True)
class Effective:
    pom: Pom
    chain: tuple[Pom, ...]  # the POM, then each parent found in the tree
    missing_parent: str | None  # why the chain stops before a parent it names
    interpolator: Interpolator
    dependencies: tuple[PomDependency, ...]
    managed: tuple[PomDependency, ...]


@dataclass(frozen=True, slots=True)
class Management:
    entries: dict[ManagedKey, Managed]
    problems: tuple[str, ...]  # imported BOMs that could not be read


class PomStore:
    """The POMs of one tree, each parsed once: parents and BOMs are shared by many modules."""

    def __init__(self, read: Callable[[str], bytes] | None) -> None:
        self._read = read
        self._poms: dict[str, Pom | str] = {}  # path -> POM, or why it cannot be read
        self._effective: dict[str, Effective] = {}
        self._management: dict[str, Management] = {}
        self._in_progress: set[str] = set()
        self._index: dict[str, str] = {}  # "g:a:v" -> path, POMs reached through <modules>
        self._queued: set[str] = set()
        self._queue: list[str] = []

    def put(self, pom: Pom) -> None:
        self._poms[pom.path] = pom

    def load(self, path: str) -> Pom | str:
        known = self._poms.get(path)
        if known is not None:
            return known
        if self._read is None:
            result: Pom | str = "no tree available"
        elif len(self._poms) >= MAX_POMS:
            result = f"more than {MAX_POMS} POMs read; not read"
        else:
            try:
                result = read_pom(self._read(path), path)
            except ExtractError as exc:
                result = str(exc)
        self._poms[path] = result
        return result

    # -- inheritance -------------------------------------------------------------------

    def effective(self, pom: Pom) -> Effective:
        known = self._effective.get(pom.path)
        if known is not None and known.pom is pom:
            return known
        chain = [pom]
        missing = None
        while chain[-1].parent is not None:
            parent, missing = self._parent(chain[-1])
            if parent is None:
                break
            if any(p.path == parent.path for p in chain):
                missing = f"parent cycle through {parent.path}"
                break
            chain.append(parent)
        properties: dict[str, str] = {}
        dependencies: dict[tuple[str, str, str, str], PomDependency] = {}
        managed: dict[tuple[str, str, str, str], PomDependency] = {}
        for ancestor in reversed(chain):  # the child's declarations win
            properties.update(ancestor.properties)
            dependencies.update((d.merge_key, d) for d in ancestor.dependencies)
            managed.update((d.merge_key, d) for d in ancestor.managed)
        ref = pom.parent
        model = {
            "groupId": pom.group_id,
            "artifactId": pom.artifact,
            "version": pom.version_id,
            "packaging": pom.packaging or "jar",
            "parent.groupId": ref.group if ref else None,
            "parent.artifactId": ref.artifact if ref else None,
            "parent.version": ref.version if ref else None,
        }
        effective = Effective(
            pom=pom,
            chain=tuple(chain),
            missing_parent=missing,
            interpolator=Interpolator(properties, model),
            dependencies=tuple(dependencies.values()),
            managed=tuple(managed.values()),
        )
        self._effective[pom.path] = effective
        return effective

    def _parent(self, pom: Pom) -> tuple[Pom | None, str | None]:
        ref = pom.parent
        assert ref is not None
        wanted_version = _own_version(pom, ref.version)
        gav = f"{ref.group or '?'}:{ref.artifact or '?'}:{wanted_version or '?'}"
        if ref.relative_path == "":
            return None, f"parent {gav} is not in the tree (empty relativePath)"
        path = pom_path(pom.directory, ref.relative_path or "../pom.xml")
        if path is None:
            return None, f"parent {gav} is not in the tree"
        found = self.load(path)
        if isinstance(found, str):
            return None, f"parent {gav} is not in the tree ({found})"
        found_gav = (found.group_id, found.artifact, _own_version(found, found.version_id))
        # CI-friendly versions: a child's <parent><version>${revision}</version> matches a
        # parent whose own version is the same text, as Maven accepts it.
        same_version = ref.version in (None, found.version_id) or found_gav[2] == wanted_version
        if (
            found.artifact != ref.artifact
            or (ref.group is not None and found.group_id != ref.group)
            or not same_version
        ):
            shown = ":".join(part or "?" for part in found_gav)
            return None, f"parent {gav} is not in the tree ({path} is {shown})"
        return found, None

    # -- dependency management and BOM imports ---------------------------------------------

    def management(self, effective: Effective) -> Management:
        path = effective.pom.path
        known = self._management.get(path)
        if known is not None:
            return known
        if path in self._in_progress:
            return Management({}, (f"BOM import cycle through {path}",))
        self._in_progress.add(path)
        try:
            result = self._build_management(effective)
        finally:
            self._in_progress.discard(path)
        self._management[path] = result
        return result

    def _build_management(self, effective: Effective) -> Management:
        expand = effective.interpolator.expand
        entries: dict[ManagedKey, Managed] = {}
        imports: list[tuple[ManagedKey, PomDependency]] = []
        for dep in effective.managed:
            key = managed_key(effective, dep)
            if key is None:
                continue
            scope = expand(dep.scope).value if dep.scope else None
            if scope == "import":
                imports.append((key, dep))
                continue
            entries.setdefault(
                key,
                Managed(
                    version=expand(dep.version) if dep.version else None,
                    raw_version=dep.version,
                    scope=scope,
                ),
            )
        problems: list[str] = []
        for (group, artifact, _, _), dep in imports:  # declaration order: the first import wins
            version = expand(dep.version) if dep.version else Resolved(None, "no version")
            if version.value is None:
                problems.append(
                    f"imported BOM {group}:{artifact} has no version ({version.problem})"
                )
                continue
            gav = f"{group}:{artifact}:{version.value}"
            bom = self.find(gav, effective.chain)
            if bom is None:
                problems.append(f"imported BOM {gav} is not in the tree")
                continue
            imported = self.management(self.effective(bom))
            problems.extend(imported.problems)
            for key, managed in imported.entries.items():
                entries.setdefault(key, managed)
        return Management(entries, tuple(problems))

    def find(self, gav: str, roots: Iterable[Pom]) -> Pom | None:
        """The POM with coordinates `gav` among the modules reachable from `roots`."""
        for root in roots:
            self._enqueue(root.path)
        while gav not in self._index and self._queue:
            pom = self.load(self._queue.pop(0))
            if isinstance(pom, str):
                continue
            own = self.effective(pom)
            version = own.interpolator.expand(pom.version_id or "").value
            self._index.setdefault(f"{pom.group_id}:{pom.artifact}:{version}", pom.path)
            for module in pom.modules:
                child = pom_path(pom.directory, module)
                if child is not None:
                    self._enqueue(child)
        path = self._index.get(gav)
        found = self.load(path) if path else None
        return found if isinstance(found, Pom) else None

    def _enqueue(self, path: str) -> None:
        if path not in self._queued:
            self._queued.add(path)
            self._queue.append(path)


def _own_version(pom: Pom, version: str | None) -> str | None:
    """A version interpolated with the POM's own properties only (CI-friendly ${revision})."""
    if version is None or "${" not in version:
        return version
    model = {"groupId": pom.group_id, "artifactId": pom.artifact}
    return Interpolator(pom.properties, model).expand(version).value or version


def managed_key(effective: Effective, dep: PomDependency) -> ManagedKey | None:
    expand = effective.interpolator.expand
    group = expand(dep.group or "").value
    artifact = expand(dep.artifact or "").value
    if not group or not artifact:
        return None
    kind = expand(dep.type).value if dep.type else "jar"
    classifier = expand(dep.classifier).value if dep.classifier else ""
    return (group, artifact, kind or "jar", classifier or "")


def classify_version(version: str) -> tuple[str | None, str | None, str | None]:
    """(version, declared, note) of a Maven version text."""
    if version[:1] in ("[", "("):
        exact = _EXACT_RANGE.fullmatch(version)
        return (exact.group(1) if exact else None), version, None
    if version in ("LATEST", "RELEASE"):
        return None, version, f"{version} is chosen from the repository at build time"
    return version, None, None


class MavenPomExtractor(Extractor):
    name = "java/maven-pom"
    ecosystem = MAVEN
    kind = FileKind.MANIFEST
    filenames: ClassVar[frozenset[str]] = frozenset({"pom.xml"})

    def __init__(self) -> None:
        # One store per tree (keyed by the walker's reader): a monorepo's modules share their
        # parents and BOMs, which are then parsed once instead of once per module.
        self._stores: weakref.WeakKeyDictionary[Any, PomStore] = weakref.WeakKeyDictionary()

    def _store(self, file: ScanFile) -> PomStore:
        owner = getattr(file.read_sibling, "__self__", file.read_sibling)
        if owner is None:
            return PomStore(None)
        try:
            store = self._stores.get(owner)
            if store is None:
                store = self._stores[owner] = PomStore(file.read_sibling)
        except TypeError:  # a reader that cannot be weakly referenced: no sharing
            store = PomStore(file.read_sibling)
        return store

    def extract(self, file: ScanFile) -> Iterable[Package]:
        pom = read_pom(file.data, file.path)
        store = self._store(file)
        store.put(pom)
        effective = store.effective(pom)
        management = store.management(effective)
        found: dict[tuple[object, ...], Package] = {}
        for dep in effective.dependencies:
            pkg = _package(file, effective, management, dep)
            if pkg is None:
                continue
            key = (pkg.name, pkg.version, pkg.declared, pkg.scope, pkg.note)
            prior = found.get(key)
            if prior is not None:  # the same artifact with another type or classifier
                locations = tuple(dict.fromkeys(prior.locations + pkg.locations))
                pkg = replace(prior, locations=locations)
            found[key] = pkg
        return list(found.values())


def _package(
    file: ScanFile, effective: Effective, management: Management, dep: PomDependency
) -> Package | None:
    expand = effective.interpolator.expand
    key = managed_key(effective, dep)
    if key is None:
        for field, text in (("groupId", dep.group), ("artifactId", dep.artifact)):
            problem = expand(text).problem if text else None
            if not text or problem:
                message = f"{field} unresolved: {problem}" if text else f"no {field}"
                file.warn(f"dependency with {message}", line=dep.line, path=dep.path)
                return None
        return None
    group, artifact, _, _ = key
    managed = management.entries.get(key)
    scope_text = expand(dep.scope).value if dep.scope else (managed.scope if managed else None)
    if scope_text == "import":
        return None  # only meaningful in dependencyManagement
    optional = bool(dep.optional) and expand(dep.optional or "").value == "true"

    context = [p for p in (effective.missing_parent, *management.problems) if p]
    version: str | None = None
    declared: str | None = None
    note: str | None = None
    resolved: Resolved | None = None
    raw: str | None = None
    if dep.version is not None:
        resolved, raw = expand(dep.version), dep.version
    elif managed is not None and managed.version is not None:
        resolved, raw = managed.version, managed.raw_version
    else:
        note = "no version: neither declared nor managed"
    if resolved is not None and resolved.value:
        version, declared, note = classify_version(resolved.value)
    elif resolved is not None:
        note = f"version {raw!r} unresolved: {resolved.problem or 'empty'}"
    if note and version is None and declared is None and context:
        note = f"{note}; {'; '.join(context)}"

    scope = _SCOPES.get(scope_text or "")
    if scope is None and optional:
        scope = Scope.OPTIONAL
    if scope_text == "system":
        note = f"{note}; system scope" if note else "system scope"
    here = Location(file.path, dep.line if dep.path == file.path else None)
    locations = (here,) if dep.path == file.path else (here, Location(dep.path, dep.line))
    return Package(
        ecosystem=MAVEN,
        name=f"{group}:{artifact}",
        version=version,
        declared=declared,
        direct=True,
        scope=scope,
        locations=locations,
        note=note,
    )
