"""The analyzer registry: built-ins, installed entry points, PLUGINS_LOCATION modules."""

from __future__ import annotations

import logging
from importlib.metadata import EntryPoint, distribution
from pathlib import Path

import pytest

from deeptracy.analyzers.interface import AnalyzerContext
from deeptracy.analyzers.osv import OsvAnalyzer
from deeptracy.analyzers.registry import (
    ENTRY_POINT_GROUP,
    analyzers_for,
    list_analyzers,
    load_analyzers,
)
from deeptracy.config import Settings
from deeptracy.store.db import Database

SAMPLES = "tests.analyzers.sample_plugins"


def ep(name: str, target: str) -> EntryPoint:
    return EntryPoint(name=name, value=target, group=ENTRY_POINT_GROUP)


@pytest.fixture
def context(settings: Settings, sqlite_uri: str) -> AnalyzerContext:
    return AnalyzerContext(settings, Database(sqlite_uri))


def test_the_builtin_osv_comes_first_and_the_test_plugin_is_inert_by_default(
    context: AnalyzerContext,
) -> None:
    loaded = load_analyzers(context)
    assert loaded.names == ("osv",)
    assert isinstance(loaded.analyzers[0], OsvAnalyzer)
    assert loaded.infos[0].to_dict() == {
        "name": "osv",
        "ecosystems": None,
        "description": "OSV advisories from the local advisory database (exact version matching)",
        "origin": "builtin",
    }
    assert loaded.problems == ()


def test_the_installed_plugin_distribution_loads_through_its_entry_point(
    context: AnalyzerContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A real distribution installed in the test environment (tests/plugins/...).
    dist = distribution("deeptracy-test-plugin")
    assert [e.name for e in dist.entry_points if e.group == ENTRY_POINT_GROUP] == ["test-blocklist"]
    monkeypatch.setenv("DEEPTRACY_TEST_PLUGIN", "enabled")
    loaded = load_analyzers(context)
    assert loaded.names == ("osv", "test-blocklist")
    info = loaded.infos[1]
    assert info.ecosystems == ("PyPI", "npm")
    assert info.origin == (
        "entry point test-blocklist = deeptracy_test_plugin:analyzers (deeptracy-test-plugin)"
    )
    assert loaded.get("test-blocklist") is loaded.analyzers[1]
    assert loaded.analyzers[1].context is context


def test_entry_points_may_name_classes_or_factories(context: AnalyzerContext) -> None:
    loaded = load_analyzers(
        context,
        builtins=False,
        plugin_entry_points=[
            ep("echo", f"{SAMPLES}:EchoAnalyzer"),
            ep("pair", f"{SAMPLES}:pair"),
        ],
    )
    assert loaded.names == ("echo", "echo-two")  # 'pair' also made an "echo": refused
    assert [p.message for p in loaded.problems] == [
        f"entry point pair = {SAMPLES}:pair: analyzer name 'echo' is already taken"
    ]


def test_broken_entry_points_are_logged_and_skipped(
    context: AnalyzerContext, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, "deeptracy.analyzers.registry")
    loaded = load_analyzers(
        context,
        plugin_entry_points=[
            ep("a-missing-module", "no_such_module_xyz:thing"),
            ep("b-abstract", f"{SAMPLES}:AbstractOne"),
            ep("c-not-analyzer", f"{SAMPLES}:not_an_analyzer"),
            ep("d-raises", f"{SAMPLES}:raising_factory"),
            ep("e-bad-name", f"{SAMPLES}:BadName"),
            ep("f-not-callable", f"{SAMPLES}:NOT_CALLABLE"),
            ep("g-osv-again", "deeptracy.analyzers.osv:OsvAnalyzer"),
            ep("h-fine", f"{SAMPLES}:EchoAnalyzer"),
        ],
    )
    assert loaded.names == ("osv", "echo")
    messages = [p.message for p in loaded.problems]
    assert len(messages) == 7
    assert "cannot be loaded: ModuleNotFoundError" in messages[0]
    assert "AbstractOne is abstract" in messages[1]
    assert "the factory returned dict, not an Analyzer" in messages[2]
    assert "failed while being built: RuntimeError: vendor licence missing" in messages[3]
    assert "analyzer name 'Bad Name!' must be" in messages[4]
    assert "int is neither an Analyzer nor a factory" in messages[5]
    assert "analyzer name 'osv' is already taken" in messages[6]
    assert len([r for r in caplog.records if "analyzer plugin skipped" in r.message]) == 7


def _plugins_dir(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(mode=0o755)
    for name, text in files.items():
        (root / name).write_text(text)
        (root / name).chmod(0o644)
    return root


FACTORY_MODULE = """
from deeptracy.analyzers.interface import Analyzer
from deeptracy.analyzers.model import AnalysisResult

class Quiet(Analyzer):
    name = "quiet"
    def analyze(self, inventory):
        return AnalysisResult((), ("looked at %d packages" % len(inventory.packages),))

def analyzers(context):
    return [Quiet(context)]
"""

CLASSES_MODULE = """
from deeptracy.analyzers.interface import Analyzer
from tests.analyzers.sample_plugins import EchoAnalyzer  # imported: not this module's own

class Base(Analyzer):
    name = "base"  # abstract: analyze missing

class Counter(Analyzer):
    name = "counter"
    ecosystems = {"PyPI"}
    def analyze(self, inventory):
        return []
"""


def test_plugins_location_modules(context: AnalyzerContext, tmp_path: Path) -> None:
    location = _plugins_dir(
        tmp_path / "plugins",
        {
            "a_factory.py": FACTORY_MODULE,
            "b_classes.py": CLASSES_MODULE,
            "c_syntax.py": "def broken(:\n",
            "d_empty.py": "VALUE = 1\n",
            "e_exits.py": "import sys\nsys.exit(3)\n",
            "_private.py": "raise RuntimeError('never imported')\n",
            "notes.txt": "not a module",
        },
    )
    settings = context.settings.model_copy(update={"plugins_location": location})
    loaded = load_analyzers(AnalyzerContext(settings, context.database))
    assert loaded.names == ("osv", "quiet", "counter")
    counter = loaded.get("counter")
    assert counter is not None and counter.ecosystems == frozenset({"PyPI"})
    assert [i.origin for i in loaded.infos[1:]] == [
        f"plugin file {location / 'a_factory.py'}",
        f"plugin file {location / 'b_classes.py'}",
    ]
    messages = [p.message for p in loaded.problems]
    assert len(messages) == 3
    assert "c_syntax.py: cannot be imported: SyntaxError" in messages[0]
    assert "d_empty.py: defines neither analyzers(context) nor an Analyzer subclass" in messages[1]
    assert "e_exits.py: cannot be imported: SystemExit: 3" in messages[2]


def test_plugins_location_that_others_could_write_is_refused(
    context: AnalyzerContext, tmp_path: Path
) -> None:
    location = _plugins_dir(tmp_path / "plugins", {"a_factory.py": FACTORY_MODULE})
    (location / "a_factory.py").chmod(0o666)
    settings = context.settings.model_copy(update={"plugins_location": location})
    loaded = load_analyzers(AnalyzerContext(settings, context.database))
    assert loaded.names == ("osv",)
    assert "is writable by every user; refused" in loaded.problems[0].message
    location.chmod(0o777)
    loaded = load_analyzers(AnalyzerContext(settings, context.database))
    assert loaded.problems[0].message == f"{location} is writable by every user; refused"
    location.chmod(0o755)


def test_plugins_location_must_be_a_directory(context: AnalyzerContext, tmp_path: Path) -> None:
    settings = context.settings.model_copy(update={"plugins_location": tmp_path / "missing"})
    loaded = load_analyzers(AnalyzerContext(settings, context.database))
    assert loaded.names == ("osv",)
    assert loaded.problems[0].message == (
        f"PLUGINS_LOCATION {tmp_path / 'missing'} is not a directory"
    )


def test_one_set_per_process_and_database(settings: Settings, sqlite_uri: str) -> None:
    db = Database(sqlite_uri)
    first = analyzers_for(settings, db)
    assert analyzers_for(settings, db) is first
    assert analyzers_for(settings, Database(sqlite_uri)) is not first
    assert [i.name for i in list_analyzers(settings, db)] == ["osv"]
