"""conan.lock: the references a Conan lockfile pins, in both formats.

- 0.5 (Conan 2): `requires` (host), `build_requires` and `python_requires` (Scope.BUILD),
  each a reference `name/version[@user/channel][#revision[%timestamp]]`; no direct/transitive.
- 0.4 (Conan 1): `graph_lock.nodes`, node "0" (or the node without a ref) is the consumer
  itself; the nodes it requires are direct; `context: build` nodes are Scope.BUILD.

ConanCenter references carry no user/channel; one that does comes from another remote and is
kept with a note.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, ClassVar

from deeptracy.ecosystems import CONAN
from deeptracy.inventory.extractors.shapes import as_object, kind_of, opt_array, opt_str
from deeptracy.inventory.interface import ExtractError, Extractor, ScanFile
from deeptracy.inventory.model import Location, Package, Scope

_REFERENCE = re.compile(
    r"(?P<name>[^/@#\s]+)/(?P<version>[^@#\s]+)"
    r"(?:@(?P<user>[^/#\s]+)(?:/(?P<channel>[^#\s]+))?)?"
    r"(?:#(?P<revision>[^%\s]+)(?:%(?P<timestamp>\S+))?)?"
)
_V05_SECTIONS = (
    ("requires", None),
    ("build_requires", Scope.BUILD),
    ("python_requires", Scope.BUILD),
)


def _package(
    file: ScanFile, reference: object, scope: Scope | None, direct: bool | None, where: str
) -> Package | None:
    text = opt_str(reference)
    match = _REFERENCE.fullmatch(text) if text else None
    if match is None:
        file.warn(f"{where}: not a Conan reference: {reference!r}"[:200])
        return None
    user = match["user"] if match["user"] not in (None, "_") else None
    note = (
        f"user/channel {user}/{match['channel'] or '_'}: not a ConanCenter reference"
        if user
        else None
    )
    return Package(
        CONAN,
        match["name"],
        match["version"],
        direct=direct,
        scope=scope,
        locations=(Location(file.path),),
        note=note,
    )


class ConanLockExtractor(Extractor):
    name = "cpp/conan-lock"
    ecosystem = CONAN
    filenames: ClassVar[frozenset[str]] = frozenset({"conan.lock"})

    def extract(self, file: ScanFile) -> Iterable[Package]:
        data = as_object(file.json(), "the document")
        if "graph_lock" in data:
            return self._v04(file, as_object(data["graph_lock"], "'graph_lock'"))
        if any(section in data for section, _ in _V05_SECTIONS):
            return self._v05(file, data)
        raise ExtractError("neither 'requires' (format 0.5) nor 'graph_lock' (format 0.4)")

    def _v05(self, file: ScanFile, data: dict[str, Any]) -> list[Package]:
        found = []
        for section, scope in _V05_SECTIONS:
            for index, ref in enumerate(opt_array(data.get(section))):
                pkg = _package(file, ref, scope, None, f"{section}[{index}]")
                if pkg is not None:
                    found.append(pkg)
        return found

    def _v04(self, file: ScanFile, graph: dict[str, Any]) -> list[Package]:
        nodes = as_object(graph.get("nodes"), "'graph_lock.nodes'")
        root_id = "0" if "0" in nodes else None
        if root_id is None:
            root_id = next(
                (k for k, n in nodes.items() if isinstance(n, dict) and not n.get("ref")), None
            )
        root = nodes.get(root_id) if root_id is not None else None
        direct_ids: set[str] | None = None
        if isinstance(root, dict):
            direct_ids = {
                str(i) for key in ("requires", "build_requires") for i in opt_array(root.get(key))
            }
        found = []
        for node_id, node in nodes.items():
            if node_id == root_id:
                continue
            if not isinstance(node, dict):
                file.warn(f"node {node_id!r} is {kind_of(node)}, not an object")
                continue
            scope = Scope.BUILD if node.get("context") == "build" else None
            direct = (node_id in direct_ids) if direct_ids is not None else None
            pkg = _package(file, node.get("ref"), scope, direct, f"node {node_id!r}")
            if pkg is not None:
                found.append(pkg)
        return found
