from __future__ import annotations

import re
import time
from datetime import date
from pathlib import Path

import pytest

from deeptracy.inventory.walker import WalkOptions
from deeptracy.scanning.repo_config import (
    MAX_CONFIG_BYTES,
    IgnoreRule,
    PackageSelector,
    RepoConfig,
    RepoConfigError,
    load_repo_config,
    parse_repo_config,
)
from deeptracy.scanning.suppress import Justification, SuppressionState
from deeptracy.severity import Severity

DOC = Path(__file__).resolve().parents[2] / "docs" / "deeptracy-yml.md"


def _error(text: str) -> RepoConfigError:
    with pytest.raises(RepoConfigError) as caught:
        parse_repo_config(text.encode())
    return caught.value


def test_a_complete_file() -> None:
    config = parse_repo_config(
        b"""\
lang: python
fail_on: high
paths:
  - docs/**
  - tests/fixtures
ignore:
  - id: CVE-2020-14343
    package: PyYAML
    reason: only safe_load
    expires: 2030-01-01
    state: not_affected
    justification: code_not_reachable
  - id: GHSA-p6mc-m468-83gw
    package: {name: lodash, ecosystem: NPM}
    reason: docs build only
    state: accepted_risk
"""
    )
    assert config.fail_on is Severity.HIGH
    assert config.paths == ("docs/**", "tests/fixtures")
    assert config.ignore == (
        IgnoreRule(
            id="CVE-2020-14343",
            package=PackageSelector(name="PyYAML"),
            reason="only safe_load",
            expires=date(2030, 1, 1),
            state="not_affected",
            justification=Justification.CODE_NOT_REACHABLE,
        ),
        IgnoreRule(
            id="GHSA-p6mc-m468-83gw",
            package=PackageSelector(name="lodash", ecosystem="npm"),
            reason="docs build only",
            state="accepted_risk",
        ),
    )


def test_the_documented_example_is_valid() -> None:
    text = DOC.read_text(encoding="utf-8")
    example = re.search(r"```yaml\n(.*?)```", text, re.S)
    assert example is not None
    config = parse_repo_config(example.group(1).encode())
    assert config.fail_on is Severity.HIGH
    assert [rule.id for rule in config.ignore] == [
        "CVE-2020-14343",
        "GHSA-p6mc-m468-83gw",
        "GO-2023-1571",
    ]


def test_the_original_lang_only_file_and_empty_files() -> None:
    assert parse_repo_config(b"lang: nodejs\n") == RepoConfig()
    assert parse_repo_config(b"") == RepoConfig()
    assert parse_repo_config(b"# nothing yet\n") == RepoConfig()
    assert parse_repo_config(b"ignore:\npaths:\n") == RepoConfig()


@pytest.mark.parametrize(("text", "expected"), [("moderate", "MEDIUM"), ("Critical", "CRITICAL")])
def test_fail_on_in_any_case(text: str, expected: str) -> None:
    assert parse_repo_config(f"fail_on: {text}\n".encode()).fail_on is Severity(expected)


def test_paths_go_to_the_walker() -> None:
    config = parse_repo_config(b"paths: [docs, 'examples/**']\n")
    base = WalkOptions(ignore_paths=("build",), max_files=10)
    options = config.walk_options(base)
    assert options.ignore_paths == ("build", "docs", "examples/**")
    assert options.max_files == 10
    assert config.walk_options().ignore_paths == ("docs", "examples/**")


def test_rule_suppression_values() -> None:
    plain = IgnoreRule(id="GO-2023-1571", reason="waiting", expires=date(2025, 1, 31))
    suppression = plain.suppression()
    assert suppression.state is SuppressionState.IGNORED
    assert (suppression.source, suppression.rule, suppression.expires) == (
        ".deeptracy.yml",
        "GO-2023-1571",
        date(2025, 1, 31),
    )
    assert not plain.expired(date(2025, 1, 31))
    assert plain.expired(date(2025, 2, 1))
    risk = IgnoreRule(id="X-1", reason="r", state="accepted_risk")
    assert risk.suppression().state is SuppressionState.ACCEPTED_RISK
    assert not risk.expired(date(2999, 1, 1))


def test_bad_yaml_names_the_line() -> None:
    error = _error("fail_on: high\nignore:\n  - id: X\n    reason: [unclosed\npaths: []\n")
    assert error.line is not None and error.line >= 4
    assert "invalid YAML" in str(error)
    assert str(error).startswith(f".deeptracy.yml:{error.line}: ")
    tab = _error("ignore:\n\t- id: X\n")
    assert tab.line == 2


def test_yaml_messages_do_not_quote_the_file() -> None:
    error = _error("secret: 'abc\n")  # PyYAML would show the offending line with a caret
    assert "^" not in str(error) and "abc" not in str(error)


def test_wrong_types() -> None:
    assert str(_error("fail_on: 5\n")).startswith(".deeptracy.yml:1: fail_on: Input should be")
    assert str(_error("paths: docs\n")) == ".deeptracy.yml:1: paths: Input should be a list"
    assert str(_error("ignore:\n  - CVE-2020-1\n")) == (
        ".deeptracy.yml:2: ignore[0]: expected a mapping with id and reason"
    )
    error = _error("ignore:\n  - id: X\n    reason: r\n    package: [a]\n")
    assert str(error) == (
        ".deeptracy.yml:4: ignore[0].package: expected a name, or a mapping with name and ecosystem"
    )
    dated = _error("ignore:\n  - id: X\n    reason: r\n    expires: next week\n")
    assert dated.line == 4 and "YYYY-MM-DD" in str(dated)
    assert "unknown severity 'huge'" in str(_error("fail_on: huge\n"))


def test_unknown_keys_are_errors_that_name_the_key() -> None:
    top = _error("fail_on: high\nignores:\n  - id: X\n")
    assert str(top) == (
        ".deeptracy.yml:2: unknown key 'ignores' (allowed: ignore, paths, fail_on, lang)"
    )
    nested = _error("ignore:\n  - id: X\n    reasn: typo\n")
    assert nested.problems[0].line == 2
    assert "ignore[0].reason: required key is missing" in nested.problems[0].message
    assert nested.problems[1].line == 3
    assert nested.problems[1].message.startswith("unknown key 'reasn' in ignore[0] (allowed: id,")
    deeper = _error("ignore:\n  - id: X\n    reason: r\n    package: {name: a, version: '1'}\n")
    assert "unknown key 'version' in ignore[0].package (allowed: name, ecosystem)" in str(deeper)


def test_rule_constraints() -> None:
    assert "required key is missing" in str(_error("ignore:\n  - reason: r\n"))
    assert "at least 1 character" in str(_error("ignore:\n  - id: X\n    reason: ''\n"))
    assert "only allowed with state: not_affected" in str(
        _error("ignore:\n  - id: X\n    reason: r\n    justification: code_not_present\n")
    )
    assert "unknown ecosystem 'cobol'" in str(
        _error("ignore:\n  - id: X\n    reason: r\n    package: {name: a, ecosystem: cobol}\n")
    )
    assert "Input should be 'not_affected'" in str(
        _error("ignore:\n  - id: X\n    reason: r\n    state: fixed\n")
    )
    assert "cannot be empty" in str(_error("paths: ['/']\n"))


def test_duplicate_keys_are_errors() -> None:
    error = _error("fail_on: low\npaths: []\nfail_on: critical\n")
    assert str(error) == ".deeptracy.yml:3: duplicate key 'fail_on' (first on line 1)"


def test_not_a_mapping() -> None:
    assert "must be a mapping" in str(_error("- CVE-2020-1\n"))
    assert "must be a mapping" in str(_error("just text\n"))


def test_oversized_file() -> None:
    padding = b"#" * (MAX_CONFIG_BYTES - len(b"fail_on: low\n") - 1) + b"\n"
    at_limit = b"fail_on: low\n" + padding
    assert len(at_limit) == MAX_CONFIG_BYTES
    assert parse_repo_config(at_limit).fail_on is Severity.LOW
    with pytest.raises(RepoConfigError, match="larger than 256 KiB"):
        parse_repo_config(at_limit + b"\n")


def test_alias_bomb_is_refused_without_expanding_it() -> None:
    levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for n in range(1, 9):  # 10**9 leaves once expanded
        prev, name = chr(ord("a") + n - 1), chr(ord("a") + n)
        levels.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    bomb = "lang:\n" + "\n".join("  " + line for line in levels) + "\n"
    started = time.monotonic()
    error = _error(bomb)
    assert time.monotonic() - started < 2
    assert "expands to more than" in str(error)


def test_recursive_alias_is_refused() -> None:
    assert "recursive YAML alias" in str(_error("lang: &a [*a]\n"))


def test_python_tags_are_not_constructed() -> None:
    error = _error("lang: !!python/object/apply:os.system ['touch /tmp/pwned']\n")
    assert error.line == 1 and "could not determine a constructor" in str(error)


def test_not_utf8() -> None:
    with pytest.raises(RepoConfigError, match=r"not UTF-8 text \(byte 9\)"):
        parse_repo_config(b"fail_on: \xff\n")


def test_load_from_a_tree(tmp_path: Path) -> None:
    assert load_repo_config(tmp_path) == RepoConfig()
    (tmp_path / ".deeptracy.yml").write_text("fail_on: medium\n", encoding="utf-8")
    assert load_repo_config(tmp_path).fail_on is Severity.MEDIUM


def test_load_refuses_links_out_of_the_tree_and_non_files(tmp_path: Path) -> None:
    outside = tmp_path / "host-secret.yml"
    outside.write_text("fail_on: low\n", encoding="utf-8")
    tree = tmp_path / "repo"
    tree.mkdir()
    (tree / ".deeptracy.yml").symlink_to(outside)
    with pytest.raises(RepoConfigError, match="leads outside the tree"):
        load_repo_config(tree)

    inside = tmp_path / "repo2"
    (inside / "config").mkdir(parents=True)
    (inside / "config" / "scan.yml").write_text("fail_on: low\n", encoding="utf-8")
    (inside / ".deeptracy.yml").symlink_to(inside / "config" / "scan.yml")
    assert load_repo_config(inside).fail_on is Severity.LOW

    folder = tmp_path / "repo3"
    (folder / ".deeptracy.yml").mkdir(parents=True)
    with pytest.raises(RepoConfigError, match="not a regular file"):
        load_repo_config(folder)


def test_load_reads_at_most_the_limit(tmp_path: Path) -> None:
    (tmp_path / ".deeptracy.yml").write_bytes(b"#" * (MAX_CONFIG_BYTES * 4))
    with pytest.raises(RepoConfigError, match="larger than"):
        load_repo_config(tmp_path)


def test_deep_nesting_is_refused() -> None:
    assert "nested too deeply" in str(_error("lang: " + "[" * 40 + "]" * 40 + "\n"))
    # Deep enough to exhaust PyYAML's recursive composer, still within the size limit.
    assert "nested too deeply" in str(_error("lang: " + "[" * 50_000 + "]" * 50_000 + "\n"))
