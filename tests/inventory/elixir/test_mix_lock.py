"""mix.lock: hex and git entries read as data; code is refused, never run."""

from __future__ import annotations

from pathlib import Path

from tests.inventory.extractor_support import errors, rows, scan, write

from deeptracy.inventory.extractors.elixir.mixlock import MixLockExtractor

DATA = Path(__file__).parent / "data"


def test_mix_lock_current_format() -> None:
    inv = scan(DATA, MixLockExtractor())
    src = "app/mix.lock"
    assert rows(inv, src) == [
        (
            "acme_billing",
            "0.9.2",
            None,
            None,
            None,
            [(src, 6)],
            "from the Hex repository 'hexpm:acme'",
        ),
        ("castore", "1.0.5", None, None, None, [(src, 2)], None),
        ("decimal", "2.1.1", None, None, None, [(src, 3)], None),
        ("jason", "1.4.1", None, None, None, [(src, 4)], None),
        (
            "phoenix",
            None,
            None,
            None,
            None,
            [(src, 7)],
            "git https://github.com/phoenixframework/phoenix.git at "
            "a2e5ab6e1e4b5a1e9f3c7d8b2a6e4c1f0b9d8e7a (branch main)",
        ),
        ("plug_crypto", "2.0.0", None, None, None, [(src, 8)], None),
        ("telemetry", "1.2.1", None, None, None, [(src, 9)], None),
    ]
    assert inv.packages[1].purl == "pkg:hex/castore@1.0.5"


def test_mix_lock_older_formats_and_odd_entries() -> None:
    inv = scan(DATA, MixLockExtractor())
    src = "legacy/mix.lock"
    assert rows(inv, src) == [
        ("cowboy", "1.1.2", None, None, None, [(src, 1)], None),
        ("cowlib", "1.0.2", None, None, None, [(src, 2)], None),
    ]
    assert errors(inv) == [
        (src, 3, "entry 'mystery' has an unknown source :svn"),
        (src, 4, "entry 'broken' is not a {:source, ...} tuple"),
    ]


def test_code_and_broken_terms_are_refused(tmp_path: Path) -> None:
    write(tmp_path, "call/mix.lock", '%{\n  "x": {:hex, :x, File.read!("/etc/passwd")}\n}\n')
    write(tmp_path, "interp/mix.lock", '%{"x" => {:hex, :x, "#{System.cmd("id", [])}"}}')
    write(tmp_path, "deep/mix.lock", '%{"x" => ' + "[" * 200 + "]" * 200 + "}")
    write(tmp_path, "cut/mix.lock", '%{"x": {:hex, :x, "1.0.0", "abc", [:mix], [], "hex')
    write(tmp_path, "list/mix.lock", "[1, 2]")
    inv = scan(tmp_path, MixLockExtractor())
    assert inv.packages == ()
    assert errors(inv) == [
        (
            "call/mix.lock",
            None,
            "elixir/mix-lock: line 2: unexpected identifier 'File' (nothing is evaluated)",
        ),
        ("cut/mix.lock", None, "elixir/mix-lock: line 1: unterminated string"),
        ("deep/mix.lock", None, "elixir/mix-lock: line 1: terms nested deeper than 64 levels"),
        (
            "interp/mix.lock",
            None,
            "elixir/mix-lock: line 1: string interpolation refused (nothing is evaluated)",
        ),
        ("list/mix.lock", None, "elixir/mix-lock: the file is not a map (%{...})"),
    ]
