"""OSV advisories: model, sources, import and sync with deltas, storage, index and matcher."""

from deeptracy.advisories.matcher import AdvisoryMatch, Matcher, MatcherCache, Query, QueryResult
from deeptracy.advisories.model import InvalidRecord, OsvRecord, load_record, parse_record

__all__ = [
    "AdvisoryMatch",
    "InvalidRecord",
    "Matcher",
    "MatcherCache",
    "OsvRecord",
    "Query",
    "QueryResult",
    "load_record",
    "parse_record",
]
