"""Defensive access to decoded JSON, TOML and YAML: a wrong-typed field becomes a precise
ExtractError or warning instead of a TypeError deep inside an extractor."""

from __future__ import annotations

from typing import Any

import yaml

from deeptracy.inventory.interface import ExtractError, ScanFile


def kind_of(value: object) -> str:
    """How a decoded value reads in a message ("a string", "an array", "null")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def as_object(value: object, what: str) -> dict[str, Any]:
    """`value` when it is an object with string keys; ExtractError naming `what` otherwise."""
    if not isinstance(value, dict):
        raise ExtractError(f"{what} is {kind_of(value)}, not an object")
    return {str(k): v for k, v in value.items()}


def as_array(value: object, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise ExtractError(f"{what} is {kind_of(value)}, not an array")
    return value


def opt_object(value: object) -> dict[str, Any]:
    """`value` as an object, or an empty one when it is missing or not an object."""
    return {str(k): v for k, v in value.items()} if isinstance(value, dict) else {}


def opt_array(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def opt_str(value: object) -> str | None:
    """A non-blank string, stripped; None for anything else."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def load_yaml(file: ScanFile) -> Any:
    """The file's YAML, safe-loaded (no tags that build objects), with a precise error."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(file.text(), Loader=loader)  # noqa: S506 - a safe loader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        raise ExtractError(f"invalid YAML{where}: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise ExtractError(f"invalid YAML: {exc}") from None
    except RecursionError:
        raise ExtractError("YAML nested too deeply") from None
