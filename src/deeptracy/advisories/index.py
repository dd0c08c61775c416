"""The in-memory index: affected packages by (ecosystem, normalized name), compiled lazily.

Loading reads one compact row per affected package (no whole records). A package's entries are
compiled into version intervals the first time it is queried, with the version ordering of its
ecosystem, and kept: later queries only compare parsed keys.

OSV events become intervals as the schema's evaluation algorithm defines them: events sorted by
version (`introduced: "0"` first; at equal versions an `introduced` sorts before a `fixed` or
`last_affected`), `introduced` opens an interval, `fixed` closes it before that version,
`last_affected` closes it at that version, and `limit` events cap the whole range below the
highest limit ("*" is no limit).
"""

from __future__ import annotations

import bisect
import contextlib
import threading
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from deeptracy.advisories.model import Affected, OsvRecord, Range
from deeptracy.advisories.severity import SeverityInfo
from deeptracy.severity import Severity
from deeptracy.versions import SEMVER, InvalidVersion, VersionScheme, scheme_for
from deeptracy.versions.intervals import Interval, VersionSet

if TYPE_CHECKING:
    from sqlalchemy import Select
    from sqlalchemy.orm import Session

_EVENT_ORDER = {"introduced": 0, "last_affected": 1, "fixed": 2}


@dataclass(frozen=True, slots=True)
class AdvisoryMeta:
    """What a match reports about its advisory (shared by all its packages)."""

    id: str
    aliases: tuple[str, ...]
    summary: str
    modified: datetime


@dataclass(frozen=True, slots=True)
class IndexEntry:
    advisory: AdvisoryMeta
    affected: Affected
    severity: SeverityInfo


@dataclass(frozen=True, slots=True)
class Span:
    """One affected interval and how to show it (">=1.0, <1.4.2")."""

    interval: Interval
    text: str


@dataclass(frozen=True)
class CompiledAdvisory:
    """One advisory as it concerns one package: its entries for the package merged."""

    meta: AdvisoryMeta
    severity: SeverityInfo
    spans: tuple[Span, ...]
    listed: frozenset[Any]  # parsed listed versions
    listed_text: frozenset[str]  # listed versions as written (compared when unparsable)
    fixed: tuple[tuple[Any, str], ...]  # (key or None when unparsable, text), lowest first
    # Ranges that could not be evaluated, with why; reported unless listed versions cover them.
    problems: tuple[str, ...] = ()

    @cached_property
    def affected_set(self) -> VersionSet:
        """Every affected version as one set: what declared ranges are compared with.

        Built on first use (exact queries never need it, and a package with hundreds of
        listed versions makes it the costliest part of compiling)."""
        return VersionSet.of([s.interval for s in self.spans]).union(VersionSet.points(self.listed))

    @property
    def undecidable(self) -> bool:
        """A range could not be evaluated and no enumerated versions stand in for it."""
        return bool(self.problems) and not (self.listed or self.listed_text)

    def exact_texts(self, key: Any, version: str) -> list[str]:
        """How `version` (parsed as `key`) is affected; empty when it is not."""
        texts = [s.text for s in self.spans if key is not None and s.interval.contains(key)]
        if texts:
            return texts
        if (key is not None and key in self.listed) or version in self.listed_text:
            return ["listed version"]
        return []

    def fixed_for(self, key: Any | None) -> tuple[str, ...]:
        """Fixed versions, lowest first; for a queried version, those above it come first."""
        if key is None:
            return tuple(text for _, text in self.fixed)
        above = [t for k, t in self.fixed if k is not None and key < k]
        rest = [t for k, t in self.fixed if not (k is not None and key < k)]
        return (*above, *rest)

    def describe(self) -> str:
        texts = [s.text for s in self.spans]
        if self.listed or self.listed_text:
            texts.append("listed versions")
        if self.problems:
            texts.append("ranges that could not be evaluated")
        return "; ".join(texts) or "no version range (commit ranges only)"


@dataclass(slots=True)
class CompiledPackage:
    """A package's advisories, plus what makes repeated exact queries cheap.

    Every interval bound, listed version and fixed version of the package is a boundary; all
    versions strictly between two neighbouring boundaries (or equal to one) get the same
    answer, so the answer is computed once per such region and kept in `answers`.
    """

    scheme: VersionScheme | None
    advisories: tuple[CompiledAdvisory, ...]
    boundaries: list[Any] = field(default_factory=list)
    answers: dict[int, Any] = field(default_factory=dict)

    def region(self, key: Any) -> int:
        """Region 2i+1 is boundaries[i] itself; region 2i lies just below it."""
        i = bisect.bisect_left(self.boundaries, key)
        if i < len(self.boundaries) and self.boundaries[i] == key:
            return 2 * i + 1
        return 2 * i


def _sort_key(event_kind: str, value: str, key: Any) -> tuple[int, Any, int]:
    if event_kind == "introduced" and value == "0":
        return (0, 0, 0)
    return (1, key, _EVENT_ORDER.get(event_kind, 3))


def compile_range(rng: Range, scheme: VersionScheme) -> list[Span]:
    """The intervals one ECOSYSTEM or SEMVER range denotes; raises InvalidVersion."""
    keyed: list[tuple[tuple[int, Any, int], str, str, Any]] = []
    limits: list[tuple[Any, str]] = []
    unlimited = False
    for event in rng.events:
        if event.kind == "limit":
            if "*" in event.value:
                unlimited = True
            else:
                limits.append((scheme.parse(event.value), event.value))
            continue
        if event.kind == "introduced" and event.value == "0":
            keyed.append(((0, 0, 0), event.kind, event.value, None))
            continue
        key = scheme.parse(event.value)
        keyed.append((_sort_key(event.kind, event.value, key), event.kind, event.value, key))
    keyed.sort(key=lambda item: item[0])

    spans: list[Span] = []
    start: tuple[Any, str] | None = None
    for _, kind, value, key in keyed:
        if kind == "introduced":
            if start is None:
                start = (key, value)
        elif start is not None:
            inclusive = kind == "last_affected"
            op = "<=" if inclusive else "<"
            spans.append(
                Span(Interval(start[0], True, key, inclusive), f">={start[1]}, {op}{value}")
            )
            start = None
    if start is not None:
        spans.append(Span(Interval(start[0], True, None, False), f">={start[1]}"))

    if limits and not unlimited:
        top_key, top_text = max(limits, key=lambda item: item[0])
        cap = Interval(None, True, top_key, False)
        spans = [
            Span(s.interval.intersect(cap), f"{s.text}, <{top_text} (limit)")
            for s in spans
            if not s.interval.intersect(cap).is_empty
        ]
    return [s for s in spans if not s.interval.is_empty]


def _range_scheme(ecosystem_scheme: VersionScheme | None, rng: Range) -> VersionScheme | None:
    if ecosystem_scheme is not None:
        return ecosystem_scheme
    return SEMVER if rng.type == "SEMVER" else None


def compile_advisory(
    ecosystem: str,
    scheme: VersionScheme | None,
    entries: Sequence[IndexEntry],
    key_scheme: VersionScheme | None = None,
) -> CompiledAdvisory:
    """Merge one advisory's entries for one package into intervals, points and fixes.

    `scheme` is the ecosystem's ordering; `key_scheme` the one queried versions are parsed
    with (the same, or SemVer for an ecosystem without its own ordering that uses SEMVER
    ranges). Listed versions are parsed with `key_scheme`, so that every listed version a
    query could equal is a boundary of the package's regions.
    """
    key_scheme = scheme or key_scheme
    spans: list[Span] = []
    listed: set[Any] = set()
    listed_text: set[str] = set()
    fixed: dict[str, Any] = {}
    problems: list[str] = []
    meta = entries[0].advisory
    for entry in entries:
        for version in entry.affected.versions:
            listed_text.add(version)
            if key_scheme is not None:
                with contextlib.suppress(InvalidVersion):  # else compared as written
                    listed.add(key_scheme.parse(version))
        for rng in entry.affected.ranges:
            if not rng.evaluable:
                continue
            rscheme = _range_scheme(scheme, rng)
            if rscheme is None:
                problems.append(f"no version ordering is known for {ecosystem} ({rng.type} range)")
                continue
            try:
                spans.extend(compile_range(rng, rscheme))
            except InvalidVersion as exc:
                problems.append(f"cannot evaluate its {rng.type} range: {exc}")
                continue
            for event in rng.events:
                if event.kind == "fixed" and event.value not in fixed:
                    try:
                        fixed[event.value] = rscheme.parse(event.value)
                    except InvalidVersion:  # pragma: no cover - compile_range parsed it
                        fixed[event.value] = None
    # Parsed versions in ecosystem order, then any unparsable ones as written.
    ordered = sorted(
        fixed.items(), key=lambda item: (0, item[1]) if item[1] is not None else (1, item[0])
    )
    severity = max((e.severity for e in entries), key=lambda s: (s.known, s.score or 0.0))
    return CompiledAdvisory(
        meta=meta,
        severity=severity,
        spans=tuple(spans),
        listed=frozenset(listed),
        listed_text=frozenset(listed_text),
        fixed=tuple((key, text) for text, key in ordered),
        problems=tuple(problems),
    )


class AdvisoryIndex:
    """Entries by (ecosystem, normalized name); each package compiled on first use."""

    def __init__(self, entries: Iterable[IndexEntry]) -> None:
        by_key: dict[tuple[str, str], list[IndexEntry]] = defaultdict(list)
        advisories: dict[str, AdvisoryMeta] = {}
        for entry in entries:
            by_key[(entry.affected.ecosystem, entry.affected.key)].append(entry)
            advisories[entry.advisory.id] = entry.advisory
        self._entries = dict(by_key)
        self._advisories = advisories
        self._compiled: dict[tuple[str, str], CompiledPackage] = {}
        self._lock = threading.Lock()
        self.advisory_count = len(advisories)

    def advisory(self, advisory_id: str) -> AdvisoryMeta | None:
        return self._advisories.get(advisory_id)

    def __len__(self) -> int:
        return len(self._entries)

    def keys(self) -> Iterable[tuple[str, str]]:
        return self._entries.keys()

    def entries(self, ecosystem: str, key: str) -> list[IndexEntry]:
        return self._entries.get((ecosystem, key), [])

    def package(self, ecosystem: str, key: str) -> CompiledPackage | None:
        compiled = self._compiled.get((ecosystem, key))
        if compiled is not None:
            return compiled
        entries = self._entries.get((ecosystem, key))
        if not entries:
            return None
        scheme = scheme_for(ecosystem)
        if scheme is None and any(r.type == "SEMVER" for e in entries for r in e.affected.ranges):
            key_scheme: VersionScheme | None = SEMVER  # no ordering of its own; SEMVER ranges
        else:
            key_scheme = scheme
        grouped: dict[str, list[IndexEntry]] = defaultdict(list)
        for entry in entries:
            grouped[entry.advisory.id].append(entry)
        advisories = tuple(
            compile_advisory(ecosystem, scheme, group, key_scheme)
            for _, group in sorted(grouped.items())
        )
        bounds: set[Any] = set()
        for advisory in advisories:
            for span in advisory.spans:
                bounds.update(
                    b for b in (span.interval.lower, span.interval.upper) if b is not None
                )
            bounds.update(advisory.listed)
            bounds.update(k for k, _ in advisory.fixed if k is not None)
        compiled = CompiledPackage(key_scheme, advisories, sorted(bounds))
        with self._lock:
            self._compiled[(ecosystem, key)] = compiled
        return compiled

    # ---- building ----------------------------------------------------------------------------

    @classmethod
    def from_records(cls, records: Iterable[OsvRecord]) -> AdvisoryIndex:
        """An index over parsed records; withdrawn records never match and are left out."""
        entries = []
        for record in records:
            if record.withdrawn is not None:
                continue
            meta = AdvisoryMeta(record.id, record.aliases, record.title, record.modified)
            for affected in record.affected:
                entries.append(IndexEntry(meta, affected, affected.severity or record.severity))
        return cls(entries)

    @classmethod
    def load(
        cls, session: Session, keys: Collection[tuple[str, str]] | None = None
    ) -> AdvisoryIndex:
        """The index of every non-withdrawn record in the database, in one query.

        With `keys` ((ecosystem, normalized name) pairs), only the advisories of those
        packages are loaded: what a one-shot scan of a checkout needs.
        """
        from sqlalchemy import tuple_

        from deeptracy.store.models import AdvisoryPackage

        if keys is None:
            return cls.from_rows(session.execute(_index_query()))
        pairs = sorted(set(keys))
        rows: list[Sequence[Any]] = []
        for start in range(0, len(pairs), _KEYS_PER_QUERY):
            chunk = pairs[start : start + _KEYS_PER_QUERY]
            query = _index_query().where(
                tuple_(AdvisoryPackage.ecosystem, AdvisoryPackage.name).in_(chunk)
            )
            rows.extend(session.execute(query))
        return cls.from_rows(rows)

    @classmethod
    def from_rows(cls, rows: Iterable[Sequence[Any]]) -> AdvisoryIndex:
        metas: dict[str, AdvisoryMeta] = {}
        entries = []
        for (
            advisory_id,
            aliases,
            summary,
            modified,
            ecosystem,
            key,
            package,
            affected,
            severity,
            score,
            vector,
        ) in rows:
            meta = metas.get(advisory_id)
            if meta is None:
                meta = metas[advisory_id] = AdvisoryMeta(
                    advisory_id, tuple(aliases), summary, modified
                )
            entries.append(
                IndexEntry(
                    meta,
                    Affected.from_compact(ecosystem, package, key, affected),
                    SeverityInfo(Severity(severity), score, vector),
                )
            )
        return cls(entries)


_KEYS_PER_QUERY = 400  # two bind parameters a key, well under every backend's limit


def _index_query() -> Select[*tuple[Any, ...]]:
    from sqlalchemy import select

    from deeptracy.store.models import Advisory, AdvisoryPackage

    return (
        select(
            Advisory.id,
            Advisory.aliases,
            Advisory.summary,
            Advisory.modified,
            AdvisoryPackage.ecosystem,
            AdvisoryPackage.name,
            AdvisoryPackage.package,
            AdvisoryPackage.affected,
            AdvisoryPackage.severity,
            AdvisoryPackage.score,
            AdvisoryPackage.vector,
        )
        .join(AdvisoryPackage, AdvisoryPackage.advisory_id == Advisory.id)
        .where(Advisory.withdrawn.is_(None))
    )
