"""Gradle lockfiles: coordinates per line, scope from configuration names."""

from __future__ import annotations

from pathlib import Path

from deeptracy.inventory.extractors.java.gradle import GradleLockfileExtractor
from tests.inventory.extractor_support import errors, rows, scan

DATA = Path(__file__).parent / "data" / "gradle"


def test_gradle_lockfile_scopes_from_configurations() -> None:
    inv = scan(DATA, GradleLockfileExtractor())
    F = "app/gradle.lockfile"
    assert rows(inv, F) == [
        ("com.fasterxml.jackson.core:jackson-databind", "2.15.3", None, None, None, [(F, 4)], None),
        # compileClasspath without runtimeClasspath: compile-only
        ("com.google.code.findbugs:jsr305", "3.0.2", None, None, "provided", [(F, 5)], None),
        ("com.google.dagger:dagger-compiler", "2.48", None, None, "build", [(F, 6)], None),
        ("io.netty:netty-codec-http", "4.1.100.Final", None, None, None, [(F, 7)], None),
        ("org.junit.jupiter:junit-jupiter-api", "5.10.0", None, None, "test", [(F, 8)], None),
        ("org.mockito:mockito-core", "5.6.0", None, None, "test", [(F, 9)], None),
        # a release runtime classpath outweighs the Android test one
        ("org.yaml:snakeyaml", "2.2", None, None, None, [(F, 11)], None),
    ]
    assert errors(inv) == [
        (F, 10, "not a group:artifact:version entry: 'org.apache.logging.log4j:log4j-core=runtimeClasspath'")
    ]


def test_buildscript_and_legacy_per_configuration_lockfiles() -> None:
    inv = scan(DATA, GradleLockfileExtractor())
    B = "app/buildscript-gradle.lockfile"
    assert rows(inv, B) == [
        ("com.github.ben-manes:gradle-versions-plugin", "0.49.0", None, None, "build", [(B, 4)], None),
        ("org.jetbrains.kotlin:kotlin-gradle-plugin", "1.9.20", None, None, "build", [(B, 5)], None),
    ]
    L = "app/gradle/dependency-locks/testRuntimeClasspath.lockfile"
    assert rows(inv, L) == [
        ("junit:junit", "4.13.2", None, None, "test", [(L, 4)], None),
        ("org.hamcrest:hamcrest-core", "1.3", None, None, "test", [(L, 5)], None),
    ]
    C = "app/gradle/dependency-locks/buildscript-classpath.lockfile"
    assert rows(inv, C) == [
        ("com.diffplug.spotless:spotless-plugin-gradle", "6.22.0", None, None, "build", [(C, 1)], None)
    ]
    # a *.lockfile elsewhere is not Gradle's
    assert not any(p.source == "app/gradle/notes.lockfile" for p in inv.packages)
