"""Every analyzer a process can run: the built-ins, entry points, and PLUGINS_LOCATION modules.

Order and sources:

1. Built-ins: `osv` (the advisory database, or PATTON_URI's OSV API when set).
2. Entry points in the group `deeptracy.analyzers`. An entry point resolves either to an
   Analyzer subclass, instantiated as `cls(context)`, or to a callable `factory(context)` that
   returns an Analyzer or a list of them (an empty list is fine: a plugin may decide it has
   nothing to offer in this configuration).
3. PLUGINS_LOCATION: every `*.py` file directly in that directory (names starting with `_` or
   `.` are skipped), imported in name order. A module that defines `analyzers(context)` is
   asked for its analyzers (same rules as an entry-point factory); otherwise each concrete
   Analyzer subclass the module itself defines is instantiated with the context.

Plugins are code the operator installs, trusted like the service itself; the directory and its
files must not be writable by other users (such a file is refused). A plugin that fails to
import, raises while being built, returns something that is not an Analyzer, or reuses a name
already taken is logged with the reason and skipped; it never stops the others or the worker.
Names are unique: the first analyzer to claim a name keeps it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import logging
import re
import stat
import sys
import threading
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from deeptracy.analyzers.interface import Analyzer, AnalyzerContext
from deeptracy.config import Settings

if TYPE_CHECKING:
    from deeptracy.store.db import Database

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "deeptracy.analyzers"
BUILTIN = "builtin"
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")


class PluginError(Exception):
    """A plugin that cannot be used; the message says which and why."""


@dataclass(frozen=True, slots=True)
class AnalyzerInfo:
    """What the API lists about an analyzer."""

    name: str
    ecosystems: tuple[str, ...] | None  # None: every ecosystem
    description: str
    origin: str  # "builtin", "entry point <name> (<distribution>)", "plugin file <path>"

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "ecosystems": list(self.ecosystems) if self.ecosystems is not None else None,
            "description": self.description,
            "origin": self.origin,
        }


@dataclass(frozen=True, slots=True)
class LoadProblem:
    origin: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"origin": self.origin, "message": self.message}


@dataclass(frozen=True)
class AnalyzerSet:
    """The analyzers of one process, in run order, with what could not be loaded."""

    analyzers: tuple[Analyzer, ...]
    infos: tuple[AnalyzerInfo, ...]
    problems: tuple[LoadProblem, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.analyzers)

    def get(self, name: str) -> Analyzer | None:
        return next((a for a in self.analyzers if a.name == name), None)

    def close(self) -> None:
        for analyzer in self.analyzers:
            try:
                analyzer.close()
            except Exception:
                log.exception("analyzer %s failed to close", analyzer.name)


def info_of(analyzer: Analyzer, origin: str) -> AnalyzerInfo:
    ecosystems = analyzer.ecosystems
    return AnalyzerInfo(
        name=analyzer.name,
        ecosystems=tuple(sorted(ecosystems)) if ecosystems is not None else None,
        description=str(getattr(analyzer, "description", "") or ""),
        origin=origin,
    )


def validate(candidate: object, origin: str) -> Analyzer:
    """`candidate` if it is a usable Analyzer instance; PluginError otherwise."""
    if not isinstance(candidate, Analyzer):
        raise PluginError(f"{origin}: produced {type(candidate).__name__}, not an Analyzer")
    name = getattr(candidate, "name", None)
    if not isinstance(name, str) or not _NAME.match(name):
        raise PluginError(
            f"{origin}: analyzer name {name!r} must be 1-100 lower-case letters, digits, "
            "'.', '_' or '-', starting with a letter or digit"
        )
    ecosystems: object = candidate.ecosystems
    if ecosystems is not None and (
        not isinstance(ecosystems, frozenset | set | tuple | list)
        or not all(isinstance(e, str) and e for e in ecosystems)
    ):
        raise PluginError(f"{origin}: {name}.ecosystems must be None or a set of OSV names")
    if isinstance(ecosystems, set | tuple | list):
        candidate.ecosystems = frozenset(ecosystems)
    return candidate


def instantiate(obj: object, context: AnalyzerContext, origin: str) -> list[Analyzer]:
    """Analyzers from an entry point's (or module's) object: a class or a factory."""
    if isinstance(obj, type):
        if not issubclass(obj, Analyzer):
            raise PluginError(f"{origin}: {obj.__name__} is not an Analyzer subclass")
        if inspect.isabstract(obj):
            raise PluginError(f"{origin}: {obj.__name__} is abstract (analyze not implemented)")
        return [validate(obj(context), origin)]
    if not callable(obj):
        raise PluginError(f"{origin}: {type(obj).__name__} is neither an Analyzer nor a factory")
    produced = obj(context)
    if isinstance(produced, Analyzer):
        return [validate(produced, origin)]
    if isinstance(produced, Iterable) and not isinstance(produced, str | bytes | Mapping):
        return [validate(item, origin) for item in produced]
    raise PluginError(
        f"{origin}: the factory returned {type(produced).__name__}, "
        "not an Analyzer or a list of them"
    )


def builtin_analyzers(context: AnalyzerContext) -> list[Analyzer]:
    from deeptracy.analyzers.osv import OsvAnalyzer  # the built-in's imports load on demand

    return [OsvAnalyzer(context)]


def _entry_point_origin(ep: EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    owner = f" ({dist.name})" if dist is not None else ""
    return f"entry point {ep.name} = {ep.value}{owner}"


def from_entry_point(ep: EntryPoint, context: AnalyzerContext) -> list[Analyzer]:
    origin = _entry_point_origin(ep)
    try:
        obj = ep.load()
    except (Exception, SystemExit) as exc:
        raise PluginError(f"{origin}: cannot be loaded: {type(exc).__name__}: {exc}") from exc
    return _built(obj, context, origin)


def _built(obj: object, context: AnalyzerContext, origin: str) -> list[Analyzer]:
    try:
        return instantiate(obj, context, origin)
    except PluginError:
        raise
    except (Exception, SystemExit) as exc:
        raise PluginError(
            f"{origin}: failed while being built: {type(exc).__name__}: {exc}"
        ) from exc


def _check_not_writable_by_others(path: Path) -> None:
    info = path.stat()
    if info.st_mode & stat.S_IWOTH:
        raise PluginError(f"{path} is writable by every user; refused")


def _import_file(path: Path) -> ModuleType:
    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:10]
    stem = re.sub(r"\W", "_", path.stem)
    module_name = f"deeptracy_plugins.{stem}_{digest}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise PluginError(f"plugin file {path}: cannot be imported")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses and pickling look modules up by name
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    return module


def from_plugin_file(path: Path, context: AnalyzerContext) -> list[Analyzer]:
    origin = f"plugin file {path}"
    _check_not_writable_by_others(path)
    try:
        module = _import_file(path)
    except PluginError:
        raise
    except (Exception, SystemExit) as exc:
        raise PluginError(f"{origin}: cannot be imported: {type(exc).__name__}: {exc}") from exc
    factory = getattr(module, "analyzers", None)
    if factory is not None:
        return _built(factory, context, origin)
    classes = [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, Analyzer)
        and value.__module__ == module.__name__
        and not inspect.isabstract(value)
    ]
    if not classes:
        raise PluginError(f"{origin}: defines neither analyzers(context) nor an Analyzer subclass")
    found: list[Analyzer] = []
    for cls in classes:
        found.extend(_built(cls, context, origin))
    return found


def plugin_files(location: Path) -> list[Path]:
    """The plugin modules of PLUGINS_LOCATION, in name order; PluginError when unusable."""
    if not location.is_dir():
        raise PluginError(f"PLUGINS_LOCATION {location} is not a directory")
    _check_not_writable_by_others(location)
    return sorted(
        entry
        for entry in location.iterdir()
        if entry.suffix == ".py" and not entry.name.startswith(("_", ".")) and entry.is_file()
    )


def load_analyzers(
    context: AnalyzerContext,
    *,
    builtins: bool = True,
    plugin_entry_points: Sequence[EntryPoint] | None = None,
) -> AnalyzerSet:
    """Build every analyzer: built-ins, then entry points, then PLUGINS_LOCATION modules.

    `plugin_entry_points` replaces the installed entry points (tests hand in their own).
    """
    analyzers: list[Analyzer] = []
    infos: list[AnalyzerInfo] = []
    problems: list[LoadProblem] = []

    def problem(origin: str, message: str) -> None:
        log.error("analyzer plugin skipped: %s", message)
        problems.append(LoadProblem(origin, message))

    def accept(found: Iterable[Analyzer], origin: str) -> None:
        for analyzer in found:
            if any(a.name == analyzer.name for a in analyzers):
                problem(origin, f"{origin}: analyzer name {analyzer.name!r} is already taken")
                continue
            analyzers.append(analyzer)
            infos.append(info_of(analyzer, origin))

    if builtins:
        accept(builtin_analyzers(context), BUILTIN)

    eps = (
        plugin_entry_points
        if plugin_entry_points is not None
        else list(entry_points(group=ENTRY_POINT_GROUP))
    )
    for ep in sorted(eps, key=lambda e: (e.name, e.value)):
        origin = _entry_point_origin(ep)
        try:
            accept(from_entry_point(ep, context), origin)
        except PluginError as exc:
            problem(origin, str(exc))

    location = context.settings.plugins_location
    if location is not None:
        try:
            files = plugin_files(location)
        except (PluginError, OSError) as exc:
            problem(f"PLUGINS_LOCATION {location}", str(exc))
            files = []
        for path in files:
            origin = f"plugin file {path}"
            try:
                accept(from_plugin_file(path, context), origin)
            except (PluginError, OSError) as exc:
                problem(origin, str(exc))

    for info in infos:
        log.debug("analyzer %s loaded (%s)", info.name, info.origin)
    return AnalyzerSet(tuple(analyzers), tuple(infos), tuple(problems))


# ---- one set per process and database ----------------------------------------------------------

_cache: weakref.WeakKeyDictionary[Database, dict[tuple[object, ...], AnalyzerSet]] = (
    weakref.WeakKeyDictionary()
)
_cache_lock = threading.Lock()


def _settings_key(settings: Settings) -> tuple[object, ...]:
    return (settings.plugins_location, settings.patton_uri, settings.http_timeout)


def analyzers_for(settings: Settings, database: Database) -> AnalyzerSet:
    """The process's analyzers for `database`, built once (plugins are imported once, and the
    osv analyzer's in-memory advisory index is shared by every scan of the process)."""
    key = _settings_key(settings)
    with _cache_lock:
        per_db = _cache.setdefault(database, {})
        found = per_db.get(key)
        if found is None:
            found = per_db[key] = load_analyzers(AnalyzerContext(settings, database))
        return found


def list_analyzers(settings: Settings, database: Database) -> list[AnalyzerInfo]:
    """What GET /api/1/analyzers shows: every analyzer this process would run."""
    return list(analyzers_for(settings, database).infos)
