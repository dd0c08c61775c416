"""go.mod: require, indirect, replace (module and local path), exclude; broken files."""

from __future__ import annotations

from pathlib import Path

from tests.inventory.extractor_support import errors, rows, scan, write

from deeptracy.inventory.extractors.go.gomod import GoModExtractor

DATA = Path(__file__).parent / "data"


def test_requirements_with_replace_exclude_and_indirect() -> None:
    inv = scan(DATA, GoModExtractor())
    src = "service/go.mod"
    assert rows(inv) == [
        # replaced by a local directory: not a registry module, no version
        (
            "github.com/acme/payments/shared",
            None,
            None,
            True,
            None,
            [(src, 11), (src, 32)],
            "replaced by the local directory ../shared (required "
            "v0.0.0-00010101000000-000000000000); not a registry module",
        ),
        # replaced (any version) by a fork: the fork is what is built
        (
            "github.com/acme/uuid-fork",
            "v1.4.1-acme.1",
            None,
            True,
            None,
            [(src, 9), (src, 36)],
            "replaces github.com/google/uuid v1.4.0",
        ),
        ("github.com/docker/docker", "v24.0.7+incompatible", None, True, None, [(src, 13)], None),
        ("github.com/gin-gonic/gin", "v1.9.1", None, True, None, [(src, 8)], None),
        ("github.com/quoted/module", "v1.0.0", None, True, None, [(src, 15)], None),
        ("github.com/sirupsen/logrus", "v1.9.3", None, True, None, [(src, 18)], None),
        # replaced at exactly the required version; // indirect stays transitive
        (
            "golang.org/x/crypto",
            "v0.17.0",
            None,
            False,
            None,
            [(src, 10), (src, 35)],
            "replaces golang.org/x/crypto v0.14.0",
        ),
        # excluding another version changes nothing
        ("golang.org/x/net", "v0.17.0", None, False, None, [(src, 21)], None),
        ("golang.org/x/sys", "v0.13.0", None, False, None, [(src, 22)], None),
        ("gopkg.in/yaml.v3", "v3.0.1", None, False, None, [(src, 12)], None),
    ]
    # github.com/pkg/errors v0.9.0 is excluded; golang.org/x/text is replaced but not required;
    # the go and toolchain directives are not packages
    assert errors(inv) == []


def test_malformed_go_mod_files(tmp_path: Path) -> None:
    write(tmp_path, "open/go.mod", "module x\n\nrequire (\n\tgithub.com/a/b v1.0.0\n")
    write(tmp_path, "quote/go.mod", 'module x\nrequire "github.com/a/b v1.0.0\n')
    write(
        tmp_path,
        "lines/go.mod",
        "module x\nrequire github.com/a/b\nreplace github.com/c/d => github.com/e/f\n"
        "frobnicate all\nrequire github.com/ok/ok v1.2.3\n",
    )
    write(tmp_path, "latin1/go.mod", b"module caf\xe9\n")
    inv = scan(tmp_path, GoModExtractor())
    assert [(p.source, p.name, p.version) for p in inv.packages] == [
        ("lines/go.mod", "github.com/ok/ok", "v1.2.3")
    ]
    assert errors(inv) == [
        ("latin1/go.mod", None, "go/gomod: not UTF-8 text (byte 10)"),
        ("lines/go.mod", 2, "require needs a module path and a version"),
        (
            "lines/go.mod",
            3,
            "replacement 'github.com/e/f' is neither a directory nor a module with a version",
        ),
        ("lines/go.mod", 4, "unknown directive 'frobnicate'"),
        ("open/go.mod", None, "go/gomod: the require block is not closed with ')'"),
        ("quote/go.mod", None, "go/gomod: line 2: unterminated string"),
    ]
