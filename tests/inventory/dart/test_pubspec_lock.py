"""pubspec.lock: direct main/dev/overridden and transitive; hosted, git, path and sdk."""

from __future__ import annotations

from pathlib import Path

from tests.inventory.extractor_support import errors, rows, scan, write

from deeptracy.inventory.extractors.dart.pubspec import PubspecLockExtractor

DATA = Path(__file__).parent / "data"
F = [("app/pubspec.lock", None)]


def test_pubspec_lock() -> None:
    inv = scan(DATA, PubspecLockExtractor())
    assert rows(inv) == [
        ("acme_design", "3.1.0", None, True, None, F, "hosted on https://dart.acme.example"),
        ("async", "2.11.0", None, False, None, F, None),
        ("build_runner", "2.4.8", None, True, "dev", F, None),
        ("http", "1.2.0", None, True, None, F, None),
        (
            "markdown_fork",
            None,
            None,
            True,
            None,
            F,
            "git https://github.com/acme/markdown.git at 6c2b0d3e5f7a9c1e3b5d7f9a1c3e5b7d9f1a3c5e "
            "(package version 7.1.1)",
        ),
        (
            "shared_models",
            None,
            None,
            True,
            None,
            F,
            "local path ../shared_models (package version 0.2.0)",
        ),
    ]
    # flutter comes with the SDK; a YAML float is not a version string
    assert errors(inv) == [("app/pubspec.lock", None, "package 'weird' has no version string")]


def test_malformed_and_hostile_yaml(tmp_path: Path) -> None:
    write(tmp_path, "tab/pubspec.lock", "packages:\n  a:\n\t- b\n")
    write(tmp_path, "tag/pubspec.lock", "packages: !!python/object/apply:os.system ['true']\n")
    write(tmp_path, "list/pubspec.lock", "- packages\n")
    laughs = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
    )
    write(tmp_path, "laughs/pubspec.lock", laughs + "packages: *i\n")
    inv = scan(tmp_path, PubspecLockExtractor())
    assert inv.packages == ()
    found = errors(inv)
    # the wording of the tab error differs between libyaml and pure-Python PyYAML
    tab = found.pop(2)
    assert tab[:2] == ("tab/pubspec.lock", None)
    assert tab[2].startswith("dart/pubspec-lock: invalid YAML at line 3 column 1: found character")
    assert found == [
        ("laughs/pubspec.lock", None, "dart/pubspec-lock: 'packages' is an array, not an object"),
        ("list/pubspec.lock", None, "dart/pubspec-lock: the document is an array, not an object"),
        (
            "tag/pubspec.lock",
            None,
            "dart/pubspec-lock: invalid YAML at line 1 column 11: could not determine a "
            "constructor for the tag 'tag:yaml.org,2002:python/object/apply:os.system'",
        ),
    ]
