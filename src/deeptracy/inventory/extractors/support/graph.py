"""The scope of every package of a lockfile from its roots and dependency edges.

A package reached from a runtime root through runtime edges is runtime (scope None). One
reached only through an optional edge or from an optional root is OPTIONAL, then PEER, then
DEV: each package gets the best scope over all its paths, where a path is only as good as its
worst step. Lockfiles that record the graph but not the flags (yarn, pnpm 9, bun, uv) are
scoped this way.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import TypeVar

from deeptracy.inventory.model import Scope

N = TypeVar("N", bound=Hashable)

_ORDER: tuple[Scope | None, ...] = (
    None,
    Scope.OPTIONAL,
    Scope.PEER,
    Scope.BUILD,
    Scope.TEST,
    Scope.DEV,
    Scope.PROVIDED,
)
_RANK = {scope: rank for rank, scope in enumerate(_ORDER)}


def scopes(
    roots: Iterable[tuple[N, Scope | None]],
    edges: Callable[[N], Iterable[tuple[N, Scope | None]]],
) -> dict[N, Scope | None]:
    """Best scope of every node reachable from `roots` (unreachable nodes are absent).

    `edges(node)` yields (child, edge scope): None for a plain dependency, OPTIONAL for an
    optional one. Buckets by rank visit nodes in order of their final scope, so each node's
    edges are followed once.
    """
    best: dict[N, int] = {}
    buckets: list[list[N]] = [[] for _ in _ORDER]
    for node, scope in roots:
        rank = _RANK[scope]
        if rank < best.get(node, len(_ORDER)):
            best[node] = rank
            buckets[rank].append(node)
    done: set[N] = set()
    for rank, bucket in enumerate(buckets):
        while bucket:
            node = bucket.pop()
            if node in done or best[node] != rank:
                continue
            done.add(node)
            for child, edge_scope in edges(node):
                child_rank = max(rank, _RANK[edge_scope])
                if child_rank < best.get(child, len(_ORDER)):
                    best[child] = child_rank
                    buckets[child_rank].append(child)
    return {node: _ORDER[rank] for node, rank in best.items()}
