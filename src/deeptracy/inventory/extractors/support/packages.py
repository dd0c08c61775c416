"""Building many Package values at once, for lockfiles that hold thousands of them."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import fields
from itertools import repeat
from typing import Any

from deeptracy.inventory.model import Location, Package, Scope

_PACKAGE_FIELDS = (
    "ecosystem",
    "name",
    "version",
    "declared",
    "direct",
    "scope",
    "locations",
    "note",
    "purl",
)
_consume: Callable[[Iterable[Any]], None] = deque(maxlen=0).extend


def _slots_match() -> bool:
    return (
        tuple(f.name for f in fields(Package)) == _PACKAGE_FIELDS
        and tuple(f.name for f in fields(Location)) == ("path", "line")
        and "__slots__" in Package.__dict__
        and "__slots__" in Location.__dict__
    )


_FAST = _slots_match()


def build_packages(
    ecosystem: str,
    path: str,
    names: Sequence[str],
    versions: Sequence[str | None],
    directs: Iterable[bool | None],
    scopes: Iterable[Scope | None],
    lines: Iterable[int | None] | None,
    notes: Iterable[str | None],
    purls: Iterable[str | None],
) -> list[Package]:
    """The packages described column by column, all located in `path` (at `lines`, or
    without lines: then they share one location), purls as given.

    A frozen dataclass sets each field through object.__setattr__ in a Python __init__, which
    dominates the extraction of a 10,000-package lockfile. Here each field is set for all
    objects at once, by the slot's descriptor mapped over a column: the loops run in C.
    Used only while Package and Location have exactly the fields above (checked at import);
    otherwise the plain constructors. Tests compare both.
    """
    count = len(names)
    new = object.__new__
    where: Iterable[tuple[Location, ...]]
    if lines is None:
        where = repeat((Location(path),), count)
    elif _FAST:
        loc: Any = Location
        locations = list(map(new, repeat(Location, count)))
        _consume(map(loc.path.__set__, locations, repeat(path, count)))
        _consume(map(loc.line.__set__, locations, lines))
        where = zip(locations)
    else:
        where = [(Location(path, line),) for line in lines]
    if not _FAST:
        return [
            Package(ecosystem, name, version, None, direct, scope, located, note, purl)
            for name, version, direct, scope, located, note, purl in zip(
                names, versions, directs, scopes, where, notes, purls, strict=True
            )
        ]
    pkg: Any = Package
    packages = list(map(new, repeat(Package, count)))
    columns: tuple[tuple[str, Iterable[object]], ...] = (
        ("ecosystem", repeat(ecosystem, count)),
        ("name", names),
        ("version", versions),
        ("declared", repeat(None, count)),
        ("direct", directs),
        ("scope", scopes),
        ("locations", where),
        ("note", notes),
        ("purl", purls),
    )
    for field_name, column in columns:
        _consume(map(getattr(pkg, field_name).__set__, packages, column))
    return packages
