"""Gemfile.lock: GEM specs with platforms, GIT and PATH sources, DEPENDENCIES -> direct."""

from __future__ import annotations

from pathlib import Path

from tests.inventory.extractor_support import errors, rows, scan, write

from deeptracy.inventory.extractors.ruby.gemfile_lock import GemfileLockExtractor

DATA = Path(__file__).parent / "data"
F = "app/Gemfile.lock"


def test_gemfile_lock_sections_platforms_and_direct() -> None:
    inv = scan(DATA, GemfileLockExtractor())
    assert rows(inv) == [
        ("bcrypt", "3.1.19", None, False, None, [(F, 25)], None),
        (
            "billing",
            None,
            None,
            True,
            None,
            [(F, 19)],
            "local path engines/billing (gem version 0.4.2)",
        ),
        ("concurrent-ruby", "1.2.2", None, False, None, [(F, 31)], None),
        (
            "devise",
            None,
            None,
            True,
            None,
            [(F, 6)],
            "git https://github.com/acme/devise.git at 9f2c1a7e4b3d5c6e7f8091a2b3c4d5e6f7a8b9c0 "
            "(gem version 4.9.3)",
        ),
        ("i18n", "1.14.1", None, False, None, [(F, 29)], None),
        ("mini_portile2", "2.8.5", None, False, None, [(F, 26)], None),
        ("money", "6.16.0", None, False, None, [(F, 27)], None),
        # one gem, three platform builds: one package, every line
        ("nokogiri", "1.15.4", None, True, None, [(F, 32), (F, 35), (F, 37)], None),
        ("puma", "6.4.0", None, True, None, [(F, 43)], None),
        ("racc", "1.7.3", None, False, None, [(F, 39)], None),
        ("rack", "2.2.8", None, False, None, [(F, 40)], None),
        ("railties", "7.1.2", None, False, None, [(F, 41)], None),
        ("rspec-core", "3.12.2", None, True, None, [(F, 42)], None),
    ]
    # acme_app (PATH ".") is the project itself; bundler's version is not a package
    assert errors(inv) == []
    assert inv.packages[0].purl == "pkg:gem/bcrypt@3.1.19"


def test_broken_gemfile_locks(tmp_path: Path) -> None:
    write(tmp_path, "empty/Gemfile.lock", "this is not a lockfile\n")
    write(
        tmp_path,
        "bad/gems.locked",
        "GEM\n  remote: https://rubygems.org/\n  specs:\n    rake 13.0.6\n    rake (13.1.0)\n"
        "\nWEIRD\n  x\n\nDEPENDENCIES\n  (rake)\n  rake\n",
    )
    inv = scan(tmp_path, GemfileLockExtractor())
    assert rows(inv) == [("rake", "13.1.0", None, True, None, [("bad/gems.locked", 5)], None)]
    assert errors(inv) == [
        ("bad/gems.locked", 4, "unreadable gem spec 'rake 13.0.6'"),
        ("bad/gems.locked", 7, "unknown section 'WEIRD'"),
        ("bad/gems.locked", 11, "unreadable dependency '(rake)'"),
        (
            "empty/Gemfile.lock",
            None,
            "ruby/gemfile-lock: no GEM, GIT, PATH or DEPENDENCIES section: not a Gemfile.lock",
        ),
    ]
