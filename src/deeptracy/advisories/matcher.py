"""Exact matching of packages against the advisory index, as the OSV schema defines it.

A query names a package and either a resolved `version` (exact match), a `declared`
requirement (possible match: the requirement overlaps an affected range) or neither (every
advisory that affects some version of the package, as OSV's API answers a query without a
version). An answer that cannot be given is an `error` on the result, never an empty "not
affected": an invalid version or requirement, or an advisory whose range cannot be evaluated.
When `error` is set together with matches, the answer is partial.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from deeptracy.advisories.index import AdvisoryIndex, CompiledAdvisory, CompiledPackage
from deeptracy.advisories.model import OsvRecord, format_timestamp
from deeptracy.ecosystems import canonical_ecosystem, normalize_name, parse_purl, purl_for
from deeptracy.severity import Severity
from deeptracy.versions import InvalidConstraint, InvalidVersion, VersionScheme, scheme_for
from deeptracy.versions.intervals import VersionSet

if TYPE_CHECKING:
    from deeptracy.store.db import Database

_PARSE_CACHE_SIZE = 200_000


@dataclass(frozen=True, slots=True)
class Query:
    ecosystem: str
    name: str
    version: str | None = None
    declared: str | None = None

    @classmethod
    def from_purl(cls, purl: str) -> Query:
        """A query from a purl such as pkg:pypi/django@3.2.0; raises PurlError."""
        parts = parse_purl(purl)
        return cls(parts.ecosystem, parts.name, parts.version)


@dataclass(frozen=True, slots=True)
class AdvisoryMatch:
    advisory_id: str
    aliases: tuple[str, ...]
    summary: str
    severity: Severity
    score: float | None
    vector: str | None
    fixed: tuple[str, ...]  # fixed versions of this package; above the queried version first
    matched_range: str  # e.g. ">=0, <3.2.1" or "listed version"
    exact: bool
    admits_unaffected: bool | None
    modified: datetime

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.advisory_id,
            "aliases": list(self.aliases),
            "summary": self.summary,
            "severity": self.severity.value,
            "score": self.score,
            "vector": self.vector,
            "fixed": list(self.fixed),
            "matched_range": self.matched_range,
            "exact": self.exact,
            "admits_unaffected": self.admits_unaffected,
            "modified": format_timestamp(self.modified),
        }


@dataclass(frozen=True, slots=True)
class QueryResult:
    """Matches for one query. `error` says why the answer is missing or incomplete: with
    `undecided` empty the query itself could not be answered (invalid version or requirement,
    no ordering for the ecosystem); otherwise `undecided` names the advisories that could not be
    evaluated and `matches` holds what could be decided."""

    query: Query
    matches: tuple[AdvisoryMatch, ...] = ()
    error: str | None = None
    undecided: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        q = self.query
        ecosystem = canonical_ecosystem(q.ecosystem)
        return {
            "query": {
                "ecosystem": ecosystem,
                "name": q.name,
                "version": q.version,
                "declared": q.declared,
                "purl": purl_for(ecosystem, q.name, q.version),
            },
            "error": self.error,
            "undecided": list(self.undecided),
            "vulns": [m.to_dict() for m in self.matches],
        }


def _match(
    advisory: CompiledAdvisory,
    fixed: tuple[str, ...],
    matched: str,
    *,
    exact: bool,
    admits_unaffected: bool | None,
) -> AdvisoryMatch:
    meta = advisory.meta
    return AdvisoryMatch(
        advisory_id=meta.id,
        aliases=meta.aliases,
        summary=meta.summary,
        severity=advisory.severity.severity,
        score=advisory.severity.score,
        vector=advisory.severity.vector,
        fixed=fixed,
        matched_range=matched,
        exact=exact,
        admits_unaffected=admits_unaffected,
        modified=meta.modified,
    )


_Answer = tuple[tuple[AdvisoryMatch, ...], str | None, tuple[str, ...]]


def _answer(matches: Iterable[AdvisoryMatch], unmatched: Iterable[CompiledAdvisory]) -> _Answer:
    """Matches, plus a note on the unmatched advisories that could not be evaluated."""
    undecided = [a for a in unmatched if a.undecidable]
    if not undecided:
        return tuple(matches), None, ()
    note = "some advisories could not be evaluated: " + " | ".join(
        f"{a.meta.id}: {'; '.join(a.problems)}" for a in undecided
    )
    return tuple(matches), note, tuple(a.meta.id for a in undecided)


class Matcher:
    """Answers batches of queries from an in-memory index; safe to share between threads."""

    def __init__(self, index: AdvisoryIndex) -> None:
        self.index = index
        self._parsed: dict[tuple[int, str], Any] = {}
        self._ecosystems: dict[str, str] = {}
        self._names: dict[tuple[str, str], str] = {}

    @classmethod
    def from_records(cls, records: Iterable[OsvRecord]) -> Matcher:
        return cls(AdvisoryIndex.from_records(records))

    @classmethod
    def load(cls, db: Database, keys: Collection[tuple[str, str]] | None = None) -> Matcher:
        """A matcher over the database's advisories; with `keys` ((ecosystem, normalized
        name) pairs), over those packages' advisories only."""
        with db.session() as session:
            return cls(AdvisoryIndex.load(session, keys))

    def match(self, queries: Sequence[Query]) -> list[QueryResult]:
        """One result per query, in the same order."""
        return [self.match_one(q) for q in queries]

    def match_one(self, query: Query) -> QueryResult:
        ecosystem = self._ecosystems.get(query.ecosystem)
        if ecosystem is None:
            if len(self._ecosystems) > 1000:
                self._ecosystems.clear()
            ecosystem = self._ecosystems[query.ecosystem] = canonical_ecosystem(
                query.ecosystem.strip()
            )
        name = self._names.get((ecosystem, query.name))
        if name is None:
            if len(self._names) > _PARSE_CACHE_SIZE:
                self._names.clear()
            name = self._names[(ecosystem, query.name)] = normalize_name(ecosystem, query.name)
        package = self.index.package(ecosystem, name)
        if query.version is not None:
            return self._exact(query, ecosystem, package)
        if query.declared is not None:
            return self._declared(query, ecosystem, package)
        if package is None:
            return QueryResult(query)
        matches = tuple(
            _match(a, a.fixed_for(None), a.describe(), exact=False, admits_unaffected=None)
            for a in package.advisories
        )
        return QueryResult(query, matches)

    def _parse(self, scheme: VersionScheme, version: str) -> Any:
        """The scheme's key for `version`, or the InvalidVersion it raised; cached."""
        cache_key = (id(scheme), version)
        try:
            return self._parsed[cache_key]
        except KeyError:
            pass
        try:
            parsed: Any = scheme.parse(version)
        except InvalidVersion as exc:
            parsed = exc
        if len(self._parsed) > _PARSE_CACHE_SIZE:
            self._parsed.clear()
        self._parsed[cache_key] = parsed
        return parsed

    def _exact(self, query: Query, ecosystem: str, package: CompiledPackage | None) -> QueryResult:
        version = (query.version or "").strip()
        scheme = package.scheme if package is not None else scheme_for(ecosystem)
        key: Any = None
        if scheme is not None:
            key = self._parse(scheme, version)
            if isinstance(key, InvalidVersion):
                return QueryResult(query, error=f"{query.name}: {key}")
        if package is None:
            return QueryResult(query)
        if key is None:
            return QueryResult(query, *self._exact_answer(package, key, version))
        region = package.region(key)
        answer: _Answer | None = package.answers.get(region)
        if answer is None:
            answer = package.answers[region] = self._exact_answer(package, key, version)
        return QueryResult(query, *answer)

    @staticmethod
    def _exact_answer(package: CompiledPackage, key: Any, version: str) -> _Answer:
        matches = []
        for advisory in package.advisories:
            texts = advisory.exact_texts(key, version)
            if texts:
                matches.append(
                    _match(
                        advisory,
                        advisory.fixed_for(key),
                        "; ".join(texts),
                        exact=True,
                        admits_unaffected=None,
                    )
                )
        found = {m.advisory_id for m in matches}
        return _answer(matches, (a for a in package.advisories if a.meta.id not in found))

    def _declared(
        self, query: Query, ecosystem: str, package: CompiledPackage | None
    ) -> QueryResult:
        declared = (query.declared or "").strip()
        scheme = scheme_for(ecosystem)
        if scheme is None:
            return QueryResult(
                query,
                error=f"{query.name}: no version ordering is known for {ecosystem}, so the "
                f"declared requirement {declared!r} cannot be compared",
            )
        try:
            wanted = scheme.parse_constraint(declared)
        except InvalidConstraint as exc:
            return QueryResult(query, error=f"{query.name}: {exc}")
        if package is None:
            return QueryResult(query)
        matches = []
        unmatched = []
        for advisory in package.advisories:
            overlap = wanted.intersect(advisory.affected_set)
            if overlap.is_empty:
                unmatched.append(advisory)
                continue
            texts = [
                s.text
                for s in advisory.spans
                if not VersionSet.of([s.interval]).intersect(wanted).is_empty
            ] or ["listed versions"]
            matches.append(
                _match(
                    advisory,
                    advisory.fixed_for(None),
                    "; ".join(texts),
                    exact=False,
                    admits_unaffected=not wanted.difference(advisory.affected_set).is_empty,
                )
            )
        return QueryResult(query, *_answer(matches, unmatched))


# ---- a matcher shared by a long-running process ------------------------------------------------


def generation(db: Database) -> int:
    """Changes whenever an import or sync commits (the newest run id)."""
    from sqlalchemy import func, select

    from deeptracy.store.models import AdvisoryRun

    with db.engine.connect() as conn:
        return int(conn.execute(select(func.coalesce(func.max(AdvisoryRun.id), 0))).scalar_one())


class MatcherCache:
    """One Matcher per process, reloaded when the database's generation moves on.

    The generation is checked at most every `check_interval` seconds, so a busy API pays one
    tiny query per interval, not per request.
    """

    def __init__(
        self,
        db: Database,
        check_interval: float = 1.0,
        keys: Collection[tuple[str, str]] | None = None,
    ) -> None:
        self.db = db
        self.check_interval = check_interval
        self.keys = keys  # load only these packages' advisories (see Matcher.load)
        self._matcher: Matcher | None = None
        self._generation = -1
        self._checked = 0.0
        self._lock = threading.Lock()

    def get(self) -> Matcher:
        now = time.monotonic()
        if self._matcher is not None and now - self._checked < self.check_interval:
            return self._matcher
        with self._lock:
            current = generation(self.db)
            self._checked = time.monotonic()
            if self._matcher is None or current != self._generation:
                self._matcher = Matcher.load(self.db, self.keys)
                self._generation = current
            return self._matcher
