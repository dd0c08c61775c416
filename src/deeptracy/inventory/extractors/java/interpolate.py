"""Maven's `${...}` interpolation over properties and project coordinates, bounded.

Nothing outside the POMs is consulted: `env.*`, `settings.*` and Java system properties stay
unresolved (reading the scanning machine's environment would be wrong and unsafe). Reference
cycles are detected, and a result longer than MAX_LENGTH is refused, so a chain of properties
that doubles at each step (an entity bomb written with properties) ends quickly.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

MAX_LENGTH = 4096
MAX_DEPTH = 32
_REFERENCE = re.compile(r"\$\{([^${}]*)\}")

# Model values Maven exposes under the "project." (and deprecated "pom.") prefix.
_MODEL_KEYS = (
    "groupId",
    "artifactId",
    "version",
    "packaging",
    "parent.groupId",
    "parent.artifactId",
    "parent.version",
)


@dataclass(frozen=True, slots=True)
class Resolved:
    value: str | None
    problem: str | None = None  # why value is None


class Interpolator:
    def __init__(self, properties: Mapping[str, str], model: Mapping[str, str | None]) -> None:
        self.properties = properties
        self.model = model  # keys from _MODEL_KEYS
        self._memo: dict[str, Resolved] = {}

    def expand(self, text: str) -> Resolved:
        resolved = self._expand(text, ())
        if resolved.value is not None and "${" in resolved.value:
            return Resolved(None, f"unreadable reference in {text!r}")
        return resolved

    def _expand(self, text: str, active: tuple[str, ...]) -> Resolved:
        out: list[str] = []
        size = 0
        pos = 0
        for match in _REFERENCE.finditer(text):
            resolved = self._name(match.group(1).strip(), active)
            if resolved.value is None:
                return resolved
            out.append(text[pos : match.start()])
            out.append(resolved.value)
            size += match.start() - pos + len(resolved.value)
            pos = match.end()
            if size > MAX_LENGTH:
                return Resolved(None, f"longer than {MAX_LENGTH} characters once interpolated")
        out.append(text[pos:])
        return Resolved("".join(out))

    def _name(self, name: str, active: tuple[str, ...]) -> Resolved:
        known = self._memo.get(name)
        if known is not None:
            return known
        if name in active:
            return Resolved(None, "property cycle " + " -> ".join((*active, name)))
        if len(active) >= MAX_DEPTH:
            return Resolved(None, f"properties nested deeper than {MAX_DEPTH}")
        raw = self._raw(name)
        resolved = raw if isinstance(raw, Resolved) else self._expand(raw, (*active, name))
        self._memo[name] = resolved
        return resolved

    def _raw(self, name: str) -> str | Resolved:
        for prefix in ("project.", "pom."):
            if name.startswith(prefix) and name[len(prefix) :] in _MODEL_KEYS:
                value = self.model.get(name[len(prefix) :])
                if value is None:
                    return Resolved(None, f"${{{name}}} is not set in the POM")
                return value
        if name in self.properties:
            return self.properties[name]
        if name in ("version", "groupId", "artifactId") and self.model.get(name):
            return self.model[name] or ""
        if name.startswith("env."):
            return Resolved(None, f"${{{name}}} is an environment variable; not read")
        return Resolved(None, f"property {name!r} is not defined in the POM or its parents")
