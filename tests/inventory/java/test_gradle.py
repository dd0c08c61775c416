"""Gradle lockfiles: coordinates per line, scope from configuration names."""

from __future__ import annotations

from pathlib import Path

from tests.inventory.extractor_support import errors, rows, scan

from deeptracy.inventory.extractors.java.gradle import GradleLockfileExtractor

DATA = Path(__file__).parent / "data" / "gradle"


def test_gradle_lockfile_scopes_from_configurations() -> None:
    inv = scan(DATA, GradleLockfileExtractor())
    src = "app/gradle.lockfile"
    assert rows(inv, src) == [
        (
            "com.fasterxml.jackson.core:jackson-databind",
            "2.15.3",
            None,
            None,
            None,
            [(src, 4)],
            None,
        ),
        # compileClasspath without runtimeClasspath: compile-only
        ("com.google.code.findbugs:jsr305", "3.0.2", None, None, "provided", [(src, 5)], None),
        ("com.google.dagger:dagger-compiler", "2.48", None, None, "build", [(src, 6)], None),
        ("io.netty:netty-codec-http", "4.1.100.Final", None, None, None, [(src, 7)], None),
        ("org.junit.jupiter:junit-jupiter-api", "5.10.0", None, None, "test", [(src, 8)], None),
        ("org.mockito:mockito-core", "5.6.0", None, None, "test", [(src, 9)], None),
        # a release runtime classpath outweighs the Android test one
        ("org.yaml:snakeyaml", "2.2", None, None, None, [(src, 11)], None),
    ]
    assert errors(inv) == [
        (
            src,
            10,
            "not a group:artifact:version entry: "
            "'org.apache.logging.log4j:log4j-core=runtimeClasspath'",
        )
    ]


def test_buildscript_and_legacy_per_configuration_lockfiles() -> None:
    inv = scan(DATA, GradleLockfileExtractor())
    bs = "app/buildscript-gradle.lockfile"
    assert rows(inv, bs) == [
        (
            "com.github.ben-manes:gradle-versions-plugin",
            "0.49.0",
            None,
            None,
            "build",
            [(bs, 4)],
            None,
        ),
        (
            "org.jetbrains.kotlin:kotlin-gradle-plugin",
            "1.9.20",
            None,
            None,
            "build",
            [(bs, 5)],
            None,
        ),
    ]
    legacy = "app/gradle/dependency-locks/testRuntimeClasspath.lockfile"
    assert rows(inv, legacy) == [
        ("junit:junit", "4.13.2", None, None, "test", [(legacy, 4)], None),
        ("org.hamcrest:hamcrest-core", "1.3", None, None, "test", [(legacy, 5)], None),
    ]
    cls = "app/gradle/dependency-locks/buildscript-classpath.lockfile"
    assert rows(inv, cls) == [
        (
            "com.diffplug.spotless:spotless-plugin-gradle",
            "6.22.0",
            None,
            None,
            "build",
            [(cls, 1)],
            None,
        )
    ]
    # a *.lockfile elsewhere is not Gradle's
    assert not any(p.source == "app/gradle/notes.lockfile" for p in inv.packages)
