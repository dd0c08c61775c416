"""Gradle dependency lockfiles: `group:artifact:version=configuration,...` per line.

Read: gradle.lockfile (per project), buildscript-gradle.lockfile and settings-gradle.lockfile
(the plugins of the build itself: Scope.BUILD), and the per-configuration files of Gradle
before 6 (gradle/dependency-locks/<configuration>.lockfile, one coordinate per line).

A lockfile does not say which dependencies are direct. The scope comes from the
configurations that resolved the module: any runtime classpath outside tests makes it a
runtime dependency (no scope); otherwise a main compile classpath means compile-only
(Scope.PROVIDED), test classpaths mean Scope.TEST, anything else (annotation processors,
linters, compiler plugins) Scope.BUILD.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import ClassVar

from deeptracy.ecosystems import MAVEN
from deeptracy.inventory.interface import Extractor, ScanFile
from deeptracy.inventory.model import Location, Package, Scope

_BUILD_LOCKFILES = frozenset({"buildscript-gradle.lockfile", "settings-gradle.lockfile"})
_COORDINATE = re.compile(r"([^:=\s]+):([^:=\s]+):([^:=\s]+)")
# testRuntimeClasspath, integrationTestCompileClasspath, debugUnitTestRuntimeClasspath,
# androidTestDebugCompileClasspath, testFixturesRuntimeClasspath
_TEST = re.compile(r"(^test|Test)")


def scope_of(configurations: Iterable[str]) -> Scope | None:
    kinds = set()
    for name in configurations:
        if _TEST.search(name):
            kinds.add("test")
        elif name.endswith(("RuntimeClasspath", "runtimeClasspath")):
            kinds.add("runtime")
        elif name.endswith(("CompileClasspath", "compileClasspath")):
            kinds.add("compile")
        else:
            kinds.add("build")
    if "runtime" in kinds:
        return None
    if "compile" in kinds:
        return Scope.PROVIDED
    if "test" in kinds:
        return Scope.TEST
    return Scope.BUILD


class GradleLockfileExtractor(Extractor):
    name = "java/gradle-lockfile"
    ecosystem = MAVEN
    filenames: ClassVar[frozenset[str]] = frozenset({"gradle.lockfile", *_BUILD_LOCKFILES})
    patterns: ClassVar[tuple[str, ...]] = ("*.lockfile",)

    def wants(self, path: PurePosixPath) -> bool:
        if path.name in self.filenames:
            return True
        return path.suffix == ".lockfile" and path.parent.name == "dependency-locks"

    def extract(self, file: ScanFile) -> Iterable[Package]:
        legacy = file.name not in self.filenames  # gradle/dependency-locks/<configuration>.lockfile
        build_only = file.name in _BUILD_LOCKFILES or (
            legacy and file.name.startswith("buildscript-")
        )
        for number, raw in enumerate(file.text().splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            coordinate, has_configurations, configurations = line.partition("=")
            if coordinate == "empty":
                continue  # configurations that resolved nothing
            match = _COORDINATE.fullmatch(coordinate.strip())
            if match is None:
                file.warn(f"not a group:artifact:version entry: {line[:120]!r}", line=number)
                continue
            names = [c.strip() for c in configurations.split(",") if c.strip()]
            if legacy:
                names = [PurePosixPath(file.name).stem]
            elif not has_configurations:
                file.warn("entry without '=configurations'", line=number)
            group, artifact, version = match.groups()
            yield Package(
                ecosystem=MAVEN,
                name=f"{group}:{artifact}",
                version=version,
                scope=Scope.BUILD if build_only else scope_of(names),
                locations=(Location(file.path, number),),
            )
