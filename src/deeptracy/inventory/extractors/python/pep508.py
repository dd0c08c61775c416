"""What the PyPI extractors share: packages from PEP 508 requirement strings."""

from __future__ import annotations

from packaging.requirements import InvalidRequirement, Requirement

from deeptracy.ecosystems import PYPI, normalize_name
from deeptracy.inventory.model import Location, Package, Scope


class RequirementError(ValueError):
    """A requirement string that PEP 508 cannot read; the message says why."""


def pypi_package(
    name: str,
    version: str | None = None,
    *,
    path: str,
    line: int | None,
    declared: str | None = None,
    direct: bool | None = None,
    scope: Scope | None = None,
    note: str | None = None,
) -> Package:
    return Package(
        PYPI,
        name,
        version,
        declared=declared,
        direct=direct,
        scope=scope,
        locations=(Location(path, line),),
        note=note,
    )


def parse_requirement(text: str) -> Requirement:
    try:
        return Requirement(text)
    except InvalidRequirement as exc:
        detail = str(exc).splitlines()[0]
        raise RequirementError(f"cannot read requirement {text!r}: {detail}") from None


def exact_pin(req: Requirement) -> str | None:
    """The version of `name==1.2.3` or `name===x`; None for any range or wildcard."""
    specs = list(req.specifier)
    if len(specs) == 1 and (
        (specs[0].operator == "==" and "*" not in specs[0].version) or specs[0].operator == "==="
    ):
        return specs[0].version
    return None


def requirement_package(
    req: Requirement,
    *,
    path: str,
    line: int | None,
    direct: bool | None,
    scope: Scope | None,
    pins_are_exact: bool,
) -> Package:
    """The package a parsed requirement names: exact when pinned (and pins count as exact
    in this kind of file), declared otherwise, or a direct reference (URL) with a note."""
    if req.url:
        return pypi_package(
            req.name,
            path=path,
            line=line,
            direct=direct,
            scope=scope,
            note=f"direct reference, version unknown from the files: {req.url}",
        )
    pinned = exact_pin(req) if pins_are_exact else None
    return pypi_package(
        req.name,
        pinned,
        path=path,
        line=line,
        declared=None if pinned else str(req.specifier),
        direct=direct,
        scope=scope,
    )


def same_project(name: str, project: str | None) -> bool:
    return project is not None and normalize_name(PYPI, name) == normalize_name(PYPI, project)
