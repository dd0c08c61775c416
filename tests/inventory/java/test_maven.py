"""pom.xml: effective dependencies from properties, parents, dependencyManagement and BOMs
found in the tree; hostile and broken POMs."""

from __future__ import annotations

from pathlib import Path

from tests.inventory.extractor_support import errors, rows, scan, write

from deeptracy.inventory.extractors.java.maven import MavenPomExtractor

DATA = Path(__file__).parent / "data"
PARENT_MOVED = (
    "parent com.acme:acme-parent:1.3.0 is not in the tree (pom.xml is com.acme:acme-parent:1.4.0)"
)
SPRING_PARENT = (
    "parent org.springframework.boot:spring-boot-starter-parent:3.1.5 is not in the tree "
    "(empty relativePath); imported BOM software.amazon.awssdk:bom:2.21.0 is not in the tree"
)


def test_module_resolves_parent_properties_managed_versions_and_bom_imports() -> None:
    inv = scan(DATA / "monorepo", MavenPomExtractor())
    svc = "service/pom.xml"
    assert rows(inv, svc) == [
        # managed by the parent through a nested property: ${logback.major}.11
        ("ch.qos.logback:logback-classic", "1.4.11", None, True, None, [(svc, 28)], None),
        # a sibling module: ${project.groupId}, and ${project.version} = the parent's ${revision}
        ("com.acme:acme-core", "1.4.0", None, True, None, [(svc, 43)], None),
        # managed by the parent itself, which wins over the imported BOM's 2.12.0
        (
            "com.fasterxml.jackson.core:jackson-databind",
            "2.15.2",
            None,
            True,
            None,
            [(svc, 16)],
            None,
        ),
        # managed by the BOM module imported by the parent (<scope>import</scope>)
        ("com.google.guava:guava", "32.1.2-jre", None, True, None, [(svc, 20)], None),
        ("com.h2database:h2", "2.2.224", None, True, "optional", [(svc, 54)], None),
        (
            "io.micrometer:micrometer-core",
            None,
            None,
            True,
            None,
            [(svc, 64)],
            "version '${micrometer.version}' unresolved: property 'micrometer.version' is not "
            "defined in the POM or its parents",
        ),
        ("io.netty:netty-handler", "4.1.100.Final", None, True, None, [(svc, 24)], None),
        # two classifiers of one artifact: one package, both lines
        (
            "io.netty:netty-transport-native-epoll",
            "4.1.100.Final",
            None,
            True,
            None,
            [(svc, 69), (svc, 75)],
            None,
        ),
        # a Maven range is a declared requirement, never a version
        ("org.apache.commons:commons-text", None, "[1.10.0,2.0)", True, None, [(svc, 33)], None),
        # the managed scope applies when the dependency states none
        ("org.junit.jupiter:junit-jupiter", "5.10.0", None, True, "test", [(svc, 60)], None),
        ("org.projectlombok:lombok", "1.18.30", None, True, "provided", [(svc, 48)], None),
        # inherited from the parent's <dependencies>: this module, then where it is declared
        ("org.slf4j:slf4j-api", "2.0.9", None, True, None, [(svc, None), ("pom.xml", 58)], None),
        # [2.2] is a hard requirement of exactly 2.2
        ("org.yaml:snakeyaml", "2.2", "[2.2]", True, None, [(svc, 38)], None),
    ]


def test_parent_pom_reports_its_own_dependencies_and_not_plugins_or_managed_entries() -> None:
    inv = scan(DATA / "monorepo", MavenPomExtractor())
    assert rows(inv, "pom.xml") == [
        ("org.slf4j:slf4j-api", "2.0.9", None, True, None, [("pom.xml", 58)], None),
    ]
    assert rows(inv, "bom/pom.xml") == []
    assert errors(inv) == []


def test_parent_release_not_in_the_tree_leaves_versions_unresolved_with_a_note() -> None:
    inv = scan(DATA / "monorepo", MavenPomExtractor())
    old = "legacy/pom.xml"
    assert rows(inv, old) == [
        # ${project.parent.version} comes from the <parent> element itself
        ("com.acme:acme-core", "1.3.0", None, True, None, [(old, 28)], None),
        (
            "com.fasterxml.jackson.core:jackson-databind",
            None,
            None,
            True,
            None,
            [(old, 14)],
            "version '${jackson.version}' unresolved: property 'jackson.version' is not defined "
            f"in the POM or its parents; {PARENT_MOVED}",
        ),
        (
            "com.google.guava:guava",
            None,
            None,
            True,
            None,
            [(old, 19)],
            f"no version: neither declared nor managed; {PARENT_MOVED}",
        ),
        ("com.oracle:ojdbc", "19.3", None, True, "provided", [(old, 33)], "system scope"),
        ("commons-io:commons-io", "2.11.0", None, True, None, [(old, 23)], None),
    ]


def test_parent_and_bom_from_a_repository_are_reported_missing() -> None:
    inv = scan(DATA / "monorepo", MavenPomExtractor())
    starter = "starter/pom.xml"
    assert rows(inv, starter) == [
        (
            "org.postgresql:postgresql",
            None,
            None,
            True,
            None,
            [(starter, 36)],
            "version '${postgresql.version}' unresolved: property 'postgresql.version' is not "
            f"defined in the POM or its parents; {SPRING_PARENT}",
        ),
        (
            "org.springframework.boot:spring-boot-starter-test",
            None,
            None,
            True,
            "test",
            [(starter, 31)],
            f"no version: neither declared nor managed; {SPRING_PARENT}",
        ),
        (
            "org.springframework.boot:spring-boot-starter-web",
            None,
            None,
            True,
            None,
            [(starter, 27)],
            f"no version: neither declared nor managed; {SPRING_PARENT}",
        ),
    ]


POM = """<?xml version="1.0"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>org.example</groupId>
  <artifactId>{artifact}</artifactId>
  <version>1.0</version>
  {extra}
  <dependencies>
    <dependency>
      <groupId>org.example</groupId>
      <artifactId>lib</artifactId>
      <version>{version}</version>
    </dependency>
  </dependencies>
</project>
"""


def test_xxe_pom_is_refused_and_reads_nothing_outside_the_tree(tmp_path: Path) -> None:
    secret = write(tmp_path, "secret/version.txt", "6.6.6")
    root = tmp_path / "repo"
    xxe = POM.format(artifact="app", extra="", version="&xxe;")
    xxe = xxe.replace(
        '<?xml version="1.0"?>',
        f'<?xml version="1.0"?>\n<!DOCTYPE project [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>',
    )
    write(root, "pom.xml", xxe)
    inv = scan(root, MavenPomExtractor())
    assert inv.packages == ()
    assert errors(inv) == [
        (
            "pom.xml",
            None,
            "java/maven-pom: refused: the document declares a DTD (<!DOCTYPE project>), where "
            "entity expansion bombs and external entities (XXE) live; nothing was read",
        )
    ]


def test_billion_laughs_pom_is_refused(tmp_path: Path) -> None:
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    ]
    bomb = POM.format(artifact="app", extra="", version="&lol9;").replace(
        '<?xml version="1.0"?>',
        '<?xml version="1.0"?>\n<!DOCTYPE project [\n' + "\n".join(entities) + "\n]>",
    )
    write(tmp_path, "pom.xml", bomb)
    inv = scan(tmp_path, MavenPomExtractor())
    assert inv.packages == ()
    assert [e.message for e in inv.errors] == [
        "java/maven-pom: refused: the document declares a DTD (<!DOCTYPE project>), where "
        "entity expansion bombs and external entities (XXE) live; nothing was read"
    ]


def test_property_bomb_and_property_cycle_stay_unresolved(tmp_path: Path) -> None:
    # each property doubles the previous one: 2**29 characters if expanded naively
    props = "".join(
        f"<p{i}>${{p{i - 1}}}${{p{i - 1}}}</p{i}>" if i else "<p0>x</p0>" for i in range(30)
    )
    props += "".join(f"<d{i}>${{d{i + 1}}}</d{i}>" for i in range(40)) + "<d40>1</d40>"
    props += "<a>${b}</a><b>${c}</b><c>${a}</c>"
    extra = f"<properties>{props}</properties>"
    write(tmp_path, "bomb/pom.xml", POM.format(artifact="bomb", extra=extra, version="${p29}"))
    write(tmp_path, "cycle/pom.xml", POM.format(artifact="cycle", extra=extra, version="${a}"))
    write(tmp_path, "deep/pom.xml", POM.format(artifact="deep", extra=extra, version="${d0}"))
    inv = scan(tmp_path, MavenPomExtractor())
    assert [(p.source, p.version, p.note) for p in inv.packages] == [
        (
            "bomb/pom.xml",
            None,
            "version '${p29}' unresolved: longer than 4096 characters once interpolated",
        ),
        ("cycle/pom.xml", None, "version '${a}' unresolved: property cycle a -> b -> c -> a"),
        ("deep/pom.xml", None, "version '${d0}' unresolved: properties nested deeper than 32"),
    ]


def test_environment_and_system_properties_are_never_read(tmp_path: Path) -> None:
    write(tmp_path, "pom.xml", POM.format(artifact="app", extra="", version="${env.HOME}"))
    inv = scan(tmp_path, MavenPomExtractor())
    assert [p.note for p in inv.packages] == [
        "version '${env.HOME}' unresolved: ${env.HOME} is an environment variable; not read"
    ]


def test_parent_outside_the_tree_or_in_a_cycle_is_not_followed(tmp_path: Path) -> None:
    write(tmp_path, "outside/pom.xml", POM.format(artifact="outside", extra="", version="1"))
    root = tmp_path / "repo"
    parent = (
        "<parent><groupId>org.example</groupId><artifactId>{a}</artifactId>"
        "<version>1.0</version><relativePath>{rel}</relativePath></parent>"
    )
    extra_out = parent.format(a="outside", rel="../../outside/pom.xml")
    write(root, "app/pom.xml", POM.format(artifact="app", extra=extra_out, version="${v}"))
    write(
        root,
        "a/pom.xml",
        POM.format(artifact="a", extra=parent.format(a="b", rel="../b"), version="${v}"),
    )
    write(
        root,
        "b/pom.xml",
        POM.format(artifact="b", extra=parent.format(a="a", rel="../a"), version="2"),
    )
    inv = scan(root, MavenPomExtractor())
    assert [(p.source, p.version, p.note) for p in inv.packages] == [
        (
            "a/pom.xml",
            None,
            "version '${v}' unresolved: property 'v' is not defined in the POM or its parents; "
            "parent cycle through a/pom.xml",
        ),
        (
            "app/pom.xml",
            None,
            "version '${v}' unresolved: property 'v' is not defined in the POM or its parents; "
            "parent org.example:outside:1.0 is not in the tree",
        ),
        ("b/pom.xml", "2", None),
    ]
    assert inv.errors == ()


def test_broken_poms_give_precise_errors_and_other_files_are_still_read(tmp_path: Path) -> None:
    good = POM.format(artifact="good", extra="", version="3.1")
    write(tmp_path, "good/pom.xml", good)
    write(tmp_path, "truncated/pom.xml", good[:200])
    write(tmp_path, "settings/pom.xml", "<settings><localRepository/></settings>")
    write(tmp_path, "binary/pom.xml", b"\x00\x01\x02")
    write(
        tmp_path,
        "noartifact/pom.xml",
        POM.format(artifact="x", extra="", version="1").replace(
            "<artifactId>lib</artifactId>", "<artifactId>${lib.name}</artifactId>"
        ),
    )
    write(
        tmp_path,
        "nogroup/pom.xml",
        POM.format(artifact="x", extra="", version="1").replace(
            "<groupId>org.example</groupId>\n      <artifactId>lib", "<artifactId>lib"
        ),
    )
    inv = scan(tmp_path, MavenPomExtractor())
    assert [(p.source, p.name, p.version) for p in inv.packages] == [
        ("good/pom.xml", "org.example:lib", "3.1")
    ]
    assert errors(inv) == [
        (
            "binary/pom.xml",
            None,
            "java/maven-pom: malformed XML at line 1 column 1: not well-formed (invalid token)",
        ),
        (
            "noartifact/pom.xml",
            9,
            "dependency with artifactId unresolved: property 'lib.name' is not defined in the "
            "POM or its parents",
        ),
        ("nogroup/pom.xml", 9, "dependency with no groupId"),
        (
            "settings/pom.xml",
            None,
            "java/maven-pom: root element is <settings>, not a Maven <project>",
        ),
        (
            "truncated/pom.xml",
            None,
            "java/maven-pom: malformed XML at line 6 column 25: no element found",
        ),
    ]


def test_parents_and_boms_are_parsed_once_per_tree(tmp_path: Path) -> None:
    reads: list[str] = []
    extractor = MavenPomExtractor()
    parent = POM.format(
        artifact="parent", extra="<modules><module>m1</module></modules>", version="1"
    )
    write(tmp_path, "pom.xml", parent)
    child = POM.format(
        artifact="{a}",
        extra="<parent><groupId>org.example</groupId><artifactId>parent</artifactId>"
        "<version>1.0</version></parent>",
        version="2",
    )
    for name in ("m1", "m2", "m3"):
        write(tmp_path, f"{name}/pom.xml", child.replace("{a}", name))

    from deeptracy.inventory import walker

    original = walker._Tree.read

    def counting(self: walker._Tree, relative: str) -> bytes:
        reads.append(relative)
        return original(self, relative)

    walker._Tree.read = counting  # type: ignore[method-assign]
    try:
        inv = scan(tmp_path, extractor)
    finally:
        walker._Tree.read = original  # type: ignore[method-assign]
    assert len(inv.packages) == 4
    # each POM once by the walker, the parent once more as a parent (then cached)
    assert sorted(reads) == ["m1/pom.xml", "m2/pom.xml", "m3/pom.xml", "pom.xml", "pom.xml"]


def test_inherited_dependencies_are_interpolated_in_the_child(tmp_path: Path) -> None:
    # Maven interpolates the effective model: ${project.version} in a parent's dependency is
    # the version of the module that inherits it.
    write(
        tmp_path, "pom.xml", POM.format(artifact="parent", extra="", version="${project.version}")
    )
    write(
        tmp_path,
        "child/pom.xml",
        """<project>
  <parent><groupId>org.example</groupId><artifactId>parent</artifactId><version>1.0</version>
  </parent>
  <artifactId>child</artifactId>
  <version>2.0</version>
</project>
""",
    )
    inv = scan(tmp_path, MavenPomExtractor())
    assert [
        (p.source, p.name, p.version, [(loc.path, loc.line) for loc in p.locations])
        for p in inv.packages
    ] == [
        ("child/pom.xml", "org.example:lib", "2.0", [("child/pom.xml", None), ("pom.xml", 9)]),
        ("pom.xml", "org.example:lib", "1.0", [("pom.xml", 9)]),
    ]


def test_xml_in_an_encoding_expat_cannot_read(tmp_path: Path) -> None:
    write(tmp_path, "pom.xml", b'<?xml version="1.0" encoding="Shift_JIS"?><project/>')
    inv = scan(tmp_path, MavenPomExtractor())
    assert errors(inv) == [
        ("pom.xml", None, "java/maven-pom: unreadable XML: multi-byte encodings are not supported")
    ]
