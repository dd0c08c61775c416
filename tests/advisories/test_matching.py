"""Exact matching as the OSV schema defines it, on small records written for these tests."""

from __future__ import annotations

from typing import Any

import pytest
from tests.support.osv_records import Event, affected, osv, rng

from deeptracy.advisories.matcher import Matcher, Query, QueryResult
from deeptracy.advisories.model import parse_record
from deeptracy.ecosystems import PurlError
from deeptracy.severity import Severity

# An ecosystem no version scheme will ever know, for the "no ordering" rules (the versions
# package keeps adding orderings: Pub and SwiftURL had none when these tests were written).
UNORDERED = "Unordered-Test-Ecosystem"


def matcher(*records: dict[str, Any]) -> Matcher:
    return Matcher.from_records(parse_record(r) for r in records)


def one(ecosystem: str, name: str, *events: Event, type: str = "ECOSYSTEM") -> Matcher:
    return matcher(osv("TEST-1", affected(ecosystem, name, rng(*events, type=type))))


def ids(result: QueryResult) -> list[str]:
    assert result.error is None, result.error
    return [m.advisory_id for m in result.matches]


def affected_versions(m: Matcher, ecosystem: str, name: str, versions: list[str]) -> list[str]:
    results = m.match([Query(ecosystem, name, v) for v in versions])
    return [v for v, r in zip(versions, results, strict=True) if ids(r)]


# ---- events ----

VERSIONS = ["0.1", "0.9", "1.0", "1.0.1", "1.4", "1.5", "1.6", "2.0", "2.5", "3.0", "9.9"]


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        ([("introduced", "0")], VERSIONS),
        ([("introduced", "0"), ("fixed", "1.5")], ["0.1", "0.9", "1.0", "1.0.1", "1.4"]),
        ([("introduced", "1.0"), ("fixed", "1.5")], ["1.0", "1.0.1", "1.4"]),
        ([("introduced", "1.0"), ("last_affected", "1.5")], ["1.0", "1.0.1", "1.4", "1.5"]),
        (
            [("introduced", "1.0")],
            ["1.0", "1.0.1", "1.4", "1.5", "1.6", "2.0", "2.5", "3.0", "9.9"],
        ),
        (
            [("introduced", "1.0"), ("fixed", "1.5"), ("introduced", "2.0"), ("fixed", "3.0")],
            ["1.0", "1.0.1", "1.4", "2.0", "2.5"],
        ),
        (  # events in any order: they are sorted by version first
            [("fixed", "3.0"), ("introduced", "2.0"), ("fixed", "1.5"), ("introduced", "1.0")],
            ["1.0", "1.0.1", "1.4", "2.0", "2.5"],
        ),
        (  # a second introduced inside an open interval changes nothing
            [("introduced", "1.0"), ("introduced", "1.4"), ("fixed", "2.0")],
            ["1.0", "1.0.1", "1.4", "1.5", "1.6"],
        ),
        (  # a fixed with nothing open changes nothing
            [("introduced", "0"), ("fixed", "1.0"), ("fixed", "2.0")],
            ["0.1", "0.9"],
        ),
        ([("introduced", "0"), ("limit", "1.5")], ["0.1", "0.9", "1.0", "1.0.1", "1.4"]),
        (  # several limits: below the highest one
            [("introduced", "1.0"), ("limit", "1.5"), ("limit", "2.5")],
            ["1.0", "1.0.1", "1.4", "1.5", "1.6", "2.0"],
        ),
        (
            [("introduced", "1.0"), ("limit", "*")],
            ["1.0", "1.0.1", "1.4", "1.5", "1.6", "2.0", "2.5", "3.0", "9.9"],
        ),
        (
            [("introduced", "1.0"), ("fixed", "2.5"), ("limit", "2.0")],
            ["1.0", "1.0.1", "1.4", "1.5", "1.6"],
        ),
        ([("introduced", "1.5"), ("fixed", "1.5")], []),  # introduced and fixed together
        ([("introduced", "1.5"), ("last_affected", "1.5")], ["1.5"]),
    ],
)
def test_event_combinations(events: list[Event], expected: list[str]) -> None:
    m = one("PyPI", "demo", *events)
    assert affected_versions(m, "PyPI", "demo", VERSIONS) == expected


def test_several_ranges_and_several_affected_entries_union() -> None:
    m = matcher(
        osv(
            "TEST-1",
            affected(
                "PyPI",
                "demo",
                rng(("introduced", "0"), ("fixed", "1.0")),
                rng(("introduced", "2.0"), ("fixed", "2.5")),
            ),
            affected("PyPI", "demo", rng(("introduced", "3.0"), ("last_affected", "3.0"))),
            affected("PyPI", "other", rng(("introduced", "0"))),
        )
    )
    assert affected_versions(m, "PyPI", "demo", VERSIONS) == ["0.1", "0.9", "2.0", "3.0"]
    result = m.match([Query("PyPI", "demo", "2.0")])[0]
    assert len(result.matches) == 1  # one match per advisory, not per range
    assert result.matches[0].matched_range == ">=2.0, <2.5"
    assert result.matches[0].fixed == ("2.5", "1.0")  # above the version first, then the rest


def test_listed_versions_match_exactly_and_as_the_ecosystem_compares() -> None:
    m = matcher(osv("TEST-1", affected("PyPI", "demo", versions=["1.0", "1.2rc1", "0.7.10p1"])))
    assert affected_versions(m, "PyPI", "demo", ["1.0", "1.0.0", "1.1", "1.2rc1", "1.2"]) == [
        "1.0",
        "1.0.0",  # PEP 440: 1.0 == 1.0.0
        "1.2rc1",
    ]
    (result,) = m.match([Query("PyPI", "demo", "1.0")])
    assert result.matches[0].matched_range == "listed version"
    assert result.matches[0].fixed == ()


def test_git_ranges_never_match_a_version() -> None:
    m = matcher(
        osv(
            "OSV-1",
            affected(
                "PyPI", "demo", rng(("introduced", "0"), ("fixed", "abc123"), type="GIT", repo="r")
            ),
        )
    )
    (result,) = m.match([Query("PyPI", "demo", "1.0")])
    assert result.matches == () and result.error is None
    (everything,) = m.match([Query("PyPI", "demo")])
    assert everything.matches[0].fixed == ()  # commit hashes are not fixed versions
    assert everything.matches[0].matched_range == "no version range (commit ranges only)"
    (declared,) = m.match([Query("PyPI", "demo", declared=">=0")])
    assert declared.matches == ()


def test_withdrawn_records_never_match_and_aliases_are_kept() -> None:
    live = osv("GHSA-live", affected("npm", "x", rng(("introduced", "0"))), aliases=["CVE-2024-2"])
    gone = osv(
        "GHSA-gone",
        affected("npm", "x", rng(("introduced", "0"))),
        withdrawn="2024-02-01T00:00:00Z",
    )
    (result,) = matcher(live, gone).match([Query("npm", "x", "1.0.0")])
    assert [(m.advisory_id, m.aliases) for m in result.matches] == [("GHSA-live", ("CVE-2024-2",))]


def test_a_match_reports_everything_a_finding_needs() -> None:
    record = osv(
        "PYSEC-2024-7",
        affected(
            "PyPI",
            "django",
            rng(
                ("introduced", "0"), ("fixed", "2.2.28"), ("introduced", "3.0"), ("fixed", "3.2.13")
            ),
        ),
        aliases=["CVE-2022-28346"],
        summary="SQL injection",
        modified="2024-03-01T10:00:00Z",
        severity=[{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
    )
    (result,) = matcher(record).match([Query.from_purl("pkg:pypi/Django@3.2.0")])
    (m,) = result.matches
    assert m.to_dict() == {
        "id": "PYSEC-2024-7",
        "aliases": ["CVE-2022-28346"],
        "summary": "SQL injection",
        "severity": "CRITICAL",
        "score": 9.8,
        "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "fixed": ["3.2.13", "2.2.28"],
        "matched_range": ">=3.0, <3.2.13",
        "exact": True,
        "admits_unaffected": None,
        "modified": "2024-03-01T10:00:00Z",
    }
    assert m.severity is Severity.CRITICAL


def test_no_severity_information_is_unknown() -> None:
    (result,) = one("Go", "example.com/m", ("introduced", "0"), type="SEMVER").match(
        [Query("Go", "example.com/m", "v1.0.0")]
    )
    assert result.matches[0].severity is Severity.UNKNOWN and result.matches[0].score is None


def test_per_package_severity_and_ghsa_fallback() -> None:
    record = osv(
        "GHSA-1",
        affected("npm", "a", rng(("introduced", "0"))),
        affected(
            "npm",
            "b",
            rng(("introduced", "0")),
            severity=[{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
        ),
        database_specific={"severity": "MODERATE"},
    )
    a, b = matcher(record).match([Query("npm", "a", "1.0.0"), Query("npm", "b", "1.0.0")])
    assert a.matches[0].severity is Severity.MEDIUM and a.matches[0].score is None
    assert b.matches[0].severity is Severity.CRITICAL and b.matches[0].score == 9.8


# ---- versions that cannot be read ----


def test_an_invalid_version_is_a_clear_error_never_not_affected() -> None:
    m = one("PyPI", "demo", ("introduced", "0"))
    (result,) = m.match([Query("PyPI", "demo", "not a version")])
    assert result.matches == ()
    assert result.error == "demo: 'not a version' is not a valid PEP 440 version"
    assert result.undecided == ()
    (result,) = m.match([Query("PyPI", "unknown-package", "not a version")])
    assert result.error is not None  # even without advisories: the version is unusable


def test_an_advisory_range_that_cannot_be_read_is_reported_unless_versions_are_listed() -> None:
    broken = osv(
        "TEST-BAD", affected("PyPI", "demo", rng(("introduced", "0"), ("fixed", "2019-09-12x")))
    )
    listed = osv(
        "TEST-LISTED",
        affected(
            "PyPI", "demo", rng(("introduced", "0"), ("fixed", "0.2.0-n653")), versions=["0.1"]
        ),
    )
    good = osv("TEST-GOOD", affected("PyPI", "demo", rng(("introduced", "0"), ("fixed", "5"))))
    m = matcher(broken, listed, good)
    (result,) = m.match([Query("PyPI", "demo", "0.1")])
    assert [x.advisory_id for x in result.matches] == ["TEST-GOOD", "TEST-LISTED"]
    assert result.undecided == ("TEST-BAD",)
    assert (
        result.error is not None and "TEST-BAD: cannot evaluate its ECOSYSTEM range" in result.error
    )
    assert "'2019-09-12x' is not a valid PEP 440 version" in result.error


def test_an_ecosystem_without_an_ordering_compares_listed_versions_and_reports_ranges() -> None:
    m = matcher(
        osv("TEST-1", affected(UNORDERED, "http", versions=["0.13.0"])),
        osv("TEST-2", affected(UNORDERED, "http", rng(("introduced", "0"), ("fixed", "0.13.3")))),
    )
    (hit,) = m.match([Query(UNORDERED, "http", "0.13.0")])
    assert [x.advisory_id for x in hit.matches] == ["TEST-1"]
    assert hit.undecided == ("TEST-2",)
    assert f"no version ordering is known for {UNORDERED}" in (hit.error or "")


def test_listed_versions_stay_exact_next_to_semver_fallback_ranges() -> None:
    m = matcher(
        osv(
            "TEST-1",
            affected(
                UNORDERED,
                "github.com/a/b",
                rng(("introduced", "1.0.0"), ("fixed", "1.2.0"), type="SEMVER"),
                versions=["2.0.0"],
            ),
        )
    )
    versions = ["2.0.0", "3.0.0", "2.0.1", "1.1.0", "2.0.0+build"]
    assert affected_versions(m, UNORDERED, "github.com/a/b", versions) == [
        "2.0.0",
        "1.1.0",
        "2.0.0+build",  # SemVer: build metadata does not change the version
    ]


def test_semver_ranges_are_read_as_semver_in_an_ecosystem_without_its_own_ordering() -> None:
    m = one(UNORDERED, "github.com/a/b", ("introduced", "1.0.0"), ("fixed", "1.2.0"), type="SEMVER")
    assert affected_versions(m, UNORDERED, "github.com/a/b", ["0.9.0", "1.1.0", "1.2.0"]) == [
        "1.1.0"
    ]


# ---- ecosystems: name rules and orderings ----


@pytest.mark.parametrize(
    ("ecosystem", "advisory_name", "query_name", "matches"),
    [
        ("PyPI", "django-rest-framework", "Django_Rest.Framework", True),  # PEP 503
        ("PyPI", "zope.interface", "Zope-Interface", True),
        ("crates.io", "tokio-util", "tokio_util", True),
        ("npm", "@babel/core", "@babel/core", True),
        ("npm", "@babel/core", "@Babel/Core", False),  # npm names are case-sensitive
        ("npm", "lodash", "Lodash", False),
        (
            "Maven",
            "org.apache.logging.log4j:log4j-core",
            "org.apache.logging.log4j:log4j-core",
            True,
        ),
        ("Maven", "org.apache.logging.log4j:log4j-core", "log4j-core", False),
        ("NuGet", "Newtonsoft.Json", "newtonsoft.json", True),
        ("Packagist", "Symfony/HTTP-Kernel", "symfony/http-kernel", True),
        ("RubyGems", "Rails", "rails", True),
        ("Go", "github.com/Foo/bar", "github.com/foo/bar", False),
        ("SwiftURL", "github.com/a/b", "https://github.com/A/b.git", True),
    ],
)
def test_names_meet_under_each_ecosystems_rules(
    ecosystem: str, advisory_name: str, query_name: str, matches: bool
) -> None:
    m = matcher(osv("TEST-1", affected(ecosystem, advisory_name, versions=["1.0.0"])))
    (result,) = m.match([Query(ecosystem, query_name, "1.0.0")])
    assert bool(result.matches) is matches


@pytest.mark.parametrize(
    ("purl", "ecosystem", "name", "version"),
    [
        ("pkg:pypi/django@3.2.0", "PyPI", "django", "3.2.0"),
        ("pkg:npm/%40babel/core@7.0.0", "npm", "@babel/core", "7.0.0"),
        (
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
            "Maven",
            "org.apache.logging.log4j:log4j-core",
            "2.14.1",
        ),
        ("pkg:golang/github.com/gin-gonic/gin@v1.9.0", "Go", "github.com/gin-gonic/gin", "v1.9.0"),
        ("pkg:cargo/tokio@1.0.0", "crates.io", "tokio", "1.0.0"),
        ("pkg:pypi/requests", "PyPI", "requests", None),
    ],
)
def test_queries_from_purls(purl: str, ecosystem: str, name: str, version: str | None) -> None:
    assert Query.from_purl(purl) == Query(ecosystem, name, version)


def test_unsupported_purls_are_refused() -> None:
    with pytest.raises(PurlError, match="unsupported purl type 'deb'"):
        Query.from_purl("pkg:deb/debian/curl@7.0")


@pytest.mark.parametrize(
    ("ecosystem", "events", "versions", "expected"),
    [
        (  # PEP 440: pre-releases sort before the release, post-releases after, epochs first
            "PyPI",
            [("introduced", "1.0rc1"), ("fixed", "1.0.post1")],
            ["1.0a1", "1.0rc1", "1.0", "1.0+local", "1.0.post1", "1!0.1"],
            ["1.0rc1", "1.0", "1.0+local"],
        ),
        (
            "PyPI",
            [("introduced", "0"), ("fixed", "2.0.dev0")],
            ["1.9", "2.0.dev0", "2.0a1", "2.0"],
            ["1.9"],
        ),
        (  # Go: 'v' prefixes optional, pseudo-versions are pre-releases, +incompatible ignored
            "Go",
            [("introduced", "0"), ("fixed", "1.2.0")],
            [
                "v1.1.9",
                "v1.2.0-20200101000000-abcdef123456",
                "v1.2.0",
                "v1.2.0+incompatible",
                "1.1.0",
            ],
            ["v1.1.9", "v1.2.0-20200101000000-abcdef123456", "1.1.0"],
        ),
        (  # crates.io: SemVer pre-release identifiers, build metadata ignored
            "crates.io",
            [("introduced", "0.0.0-0"), ("fixed", "1.0.0-beta.2")],
            ["0.9.0", "1.0.0-alpha", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0+build"],
            ["0.9.0", "1.0.0-alpha", "1.0.0-beta"],
        ),
        (  # npm: numeric identifiers sort before alphanumeric ones
            "npm",
            [("introduced", "1.0.0-1"), ("last_affected", "1.0.0-alpha")],
            ["1.0.0-0", "1.0.0-1", "1.0.0-2", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0"],
            ["1.0.0-1", "1.0.0-2", "1.0.0-alpha"],
        ),
        (
            "Hex",
            [("introduced", "1.2.0"), ("fixed", "1.10.0")],
            ["1.2.0", "1.9.9", "1.10.0", "1.11.0"],
            ["1.2.0", "1.9.9"],
        ),
    ],
)
def test_each_ecosystems_ordering(
    ecosystem: str, events: list[Event], versions: list[str], expected: list[str]
) -> None:
    rtype = "SEMVER" if ecosystem in {"Go", "crates.io"} else "ECOSYSTEM"
    m = one(ecosystem, "pkg", *events, type=rtype)
    assert affected_versions(m, ecosystem, "pkg", versions) == expected


def test_fixed_versions_are_in_ecosystem_order() -> None:
    m = one(
        "crates.io",
        "c",
        ("introduced", "0"),
        ("fixed", "0.10.0"),
        ("introduced", "0.2.0-0"),
        ("fixed", "0.9.0"),
        ("introduced", "0.11.0"),
        ("fixed", "1.0.0-rc.1"),
        type="SEMVER",
    )
    (everything,) = m.match([Query("crates.io", "c")])
    assert everything.matches[0].fixed == ("0.9.0", "0.10.0", "1.0.0-rc.1")
    (exact,) = m.match([Query("crates.io", "c", "0.12.0")])
    assert exact.matches[0].fixed == ("1.0.0-rc.1", "0.9.0", "0.10.0")


# ---- declared requirements and package-only queries ----


def test_declared_requirements_overlap_the_affected_set() -> None:
    m = one("PyPI", "django", ("introduced", "3.0"), ("fixed", "3.2.13"))
    overlap, inside, outside, invalid = m.match(
        [
            Query("PyPI", "django", declared=">=3.2,<4"),
            Query("PyPI", "django", declared="~=3.1.0"),
            Query("PyPI", "django", declared=">=3.2.13"),
            Query("PyPI", "django", declared="=>3"),
        ]
    )
    (match,) = overlap.matches
    assert (match.exact, match.admits_unaffected, match.matched_range) == (
        False,
        True,
        ">=3.0, <3.2.13",
    )
    assert inside.matches[0].admits_unaffected is False
    assert outside.matches == () and outside.error is None
    assert invalid.matches == () and "'=>3' is neither a valid PEP 440 specifier" in (
        invalid.error or ""
    )


def test_declared_requirements_need_a_constraint_syntax() -> None:
    (result,) = one(UNORDERED, "x", ("introduced", "0")).match(
        [Query(UNORDERED, "x", declared="^1.0.0")]
    )
    assert (
        result.error is not None and f"no version ordering is known for {UNORDERED}" in result.error
    )


def test_declared_requirements_meet_listed_versions() -> None:
    m = matcher(osv("TEST-1", affected("PyPI", "demo", versions=["1.1", "1.3"])))
    # "===1.3" is the one version 1.3 ("==1.3" would also admit local versions like 1.3+x).
    hit, miss = m.match(
        [Query("PyPI", "demo", declared="===1.3"), Query("PyPI", "demo", declared=">=1.4")]
    )
    assert hit.matches[0].matched_range == "listed versions"
    assert hit.matches[0].admits_unaffected is False
    assert miss.matches == ()


def test_a_query_without_version_lists_every_advisory_of_the_package() -> None:
    m = matcher(
        osv("A-1", affected("PyPI", "demo", rng(("introduced", "0"), ("fixed", "1.0")))),
        osv("A-2", affected("PyPI", "demo", versions=["2.0"])),
    )
    (result,) = m.match([Query("PyPI", "demo")])
    assert [(x.advisory_id, x.exact, x.matched_range) for x in result.matches] == [
        ("A-1", False, ">=0, <1.0"),
        ("A-2", False, "listed versions"),
    ]


def test_results_keep_the_query_order_and_cached_answers_stay_exact() -> None:
    m = one("PyPI", "demo", ("introduced", "1.0"), ("fixed", "2.0"))
    versions = ["1.5", "0.5", "1.0", "2.0", "1.9.9", "0.5", "3", "1.0.0"]
    first = m.match([Query("PyPI", "demo", v) for v in versions])
    second = m.match([Query("PyPI", "Demo", v) for v in reversed(versions)])
    assert [r.query.version for r in first] == versions
    assert [bool(r.matches) for r in first] == [True, False, True, False, True, False, False, True]
    assert [bool(r.matches) for r in second] == [bool(r.matches) for r in reversed(first)]
