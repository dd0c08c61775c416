"""Merging findings across analyzers and aliases."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deeptracy.analyzers.model import Finding
from deeptracy.inventory.model import Location, Package
from deeptracy.scanning.merge import merge_findings, order_fixed, package_key, primary_id
from deeptracy.severity import Severity

FLASK = Package(
    "PyPI", "Flask", "0.12.2", direct=True, locations=(Location("requirements.txt", 1),)
)
FLASK_DEV = Package("PyPI", "flask", "0.12.2", locations=(Location("dev/requirements.txt", 3),))
FLASK_OLD = Package("PyPI", "flask", "0.11", locations=(Location("requirements.txt", 1),))


def finding(
    advisory_id: str,
    *aliases: str,
    package: Package = FLASK,
    severity: Severity = Severity.MEDIUM,
    analyzer: str = "osv",
    **changes: object,
) -> Finding:
    base = Finding(
        package=package,
        advisory_id=advisory_id,
        summary=f"summary of {advisory_id}",
        severity=severity,
        aliases=aliases,
        analyzers=(analyzer,),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_records_of_one_vulnerability_from_two_analyzers_become_one_finding() -> None:
    osv_pysec = finding(
        "PYSEC-2019-179",
        "CVE-2019-1010083",
        severity=Severity.HIGH,
        score=7.5,
        vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
        fixed=("1.0",),
        matched_range=">=0, <1.0",
    )
    osv_ghsa = finding(
        "GHSA-5wv5-4vpf-pj6m",
        "CVE-2019-1010083",
        "PYSEC-2019-179",
        severity=Severity.HIGH,
        fixed=("0.12.3",),
        matched_range=">=0.10, <0.12.3",
    )
    vendor = finding(
        "VENDOR-1",
        "cve-2019-1010083",  # other case: still the same id
        severity=Severity.CRITICAL,
        analyzer="vendor",
        fixed=("1.0",),
        summary="",
    )
    [merged] = merge_findings([osv_pysec, vendor, osv_ghsa])
    assert merged.advisory_id == "GHSA-5wv5-4vpf-pj6m"  # database ids first, alphabetical
    assert merged.aliases == ("CVE-2019-1010083", "PYSEC-2019-179", "VENDOR-1")
    assert merged.severity is Severity.CRITICAL
    assert (merged.score, merged.vector) == (7.5, osv_pysec.vector)
    assert merged.fixed == ("0.12.3", "1.0")  # both above 0.12.2, ascending
    assert merged.analyzers == ("osv", "vendor")
    assert merged.summary == "summary of GHSA-5wv5-4vpf-pj6m"
    assert merged.matched_range == ">=0, <1.0; >=0.10, <0.12.3"
    assert merged.package is FLASK


def test_alias_chains_merge_transitively_but_unrelated_ids_stay_apart() -> None:
    a = finding("GO-2023-1", "CVE-2023-1")
    b = finding("GHSA-aaaa-bbbb-cccc", "CVE-2023-1", "CVE-2023-2")
    c = finding("OSV-2023-9", "CVE-2023-2")  # linked to a only through b
    d = finding("GHSA-zzzz-zzzz-zzzz", "CVE-2024-7")
    merged = merge_findings([c, d, a, b])
    assert [m.advisory_id for m in merged] == ["GHSA-aaaa-bbbb-cccc", "GHSA-zzzz-zzzz-zzzz"]
    assert merged[0].aliases == ("CVE-2023-1", "CVE-2023-2", "GO-2023-1", "OSV-2023-9")
    assert merged[1].aliases == ("CVE-2024-7",)


def test_the_same_vulnerability_in_different_packages_or_files_stays_separate() -> None:
    in_app = finding("GHSA-1", "CVE-1")
    in_dev = finding("GHSA-1", "CVE-1", package=FLASK_DEV)
    older = finding("GHSA-1", "CVE-1", package=FLASK_OLD)
    merged = merge_findings([in_app, in_dev, older])
    assert len(merged) == 3
    assert {package_key(m.package) for m in merged} == {
        package_key(FLASK),
        package_key(FLASK_DEV),
        package_key(FLASK_OLD),
    }


def test_name_spellings_of_one_package_in_one_file_merge() -> None:
    other_spelling = replace(FLASK, name="FLASK", direct=None)
    merged = merge_findings(
        [finding("GHSA-1", package=FLASK), finding("GHSA-1", package=other_spelling, analyzer="x")]
    )
    assert len(merged) == 1
    assert merged[0].analyzers == ("osv", "x")
    assert merged[0].package is FLASK  # the first reporter's package is kept


def test_cve_becomes_primary_only_when_no_database_id_was_reported() -> None:
    only_cves = merge_findings(
        [finding("CVE-2020-2", "CVE-2020-1"), finding("CVE-2020-1", analyzer="nvd")]
    )
    assert [(m.advisory_id, m.aliases) for m in only_cves] == [("CVE-2020-1", ("CVE-2020-2",))]
    # An alias nobody reported as its own id never becomes primary.
    [merged] = merge_findings([finding("RUSTSEC-2020-1", "GHSA-0000-0000-0000")])
    assert merged.advisory_id == "RUSTSEC-2020-1"
    assert primary_id(["CVE-1", "PYSEC-2", "GHSA-3"]) == "GHSA-3"


def test_unknown_severity_never_outranks_a_known_medium() -> None:
    [merged] = merge_findings(
        [
            finding("GHSA-1", "CVE-1", severity=Severity.UNKNOWN),
            finding("CVE-1", severity=Severity.MEDIUM, analyzer="b"),
        ]
    )
    assert merged.severity is Severity.MEDIUM
    [merged] = merge_findings(
        [
            finding("GHSA-1", "CVE-1", severity=Severity.UNKNOWN),
            finding("CVE-1", severity=Severity.LOW, analyzer="b"),
        ]
    )
    assert merged.severity is Severity.UNKNOWN


def test_exactness_and_declared_ranges() -> None:
    declared = Package("npm", "lodash", declared="^4.17.0", locations=(Location("package.json"),))
    maybe = finding(
        "GHSA-p6mc", "CVE-2020-8203", package=declared, exact=False, admits_unaffected=True
    )
    also = finding(
        "CVE-2020-8203", package=declared, exact=False, admits_unaffected=False, analyzer="b"
    )
    [merged] = merge_findings([maybe, also])
    assert (merged.exact, merged.admits_unaffected) == (False, False)
    exact = finding("CVE-2020-8203", package=declared, exact=True, analyzer="c")
    [merged] = merge_findings([maybe, exact])
    assert (merged.exact, merged.admits_unaffected) == (True, None)


@pytest.mark.parametrize(
    ("ecosystem", "version", "fixed", "expected"),
    [
        ("PyPI", "1.5", ["2.0", "1.10", "1.2", "1.6"], ("1.6", "1.10", "2.0", "1.2")),
        ("PyPI", None, ["2.0", "1.10", "1.2"], ("1.2", "1.10", "2.0")),
        (
            "npm",
            "1.0.0",
            ["1.0.10", "not a version", "1.0.2"],
            ("1.0.2", "1.0.10", "not a version"),
        ),
        ("Maven", "1.0", ["1.0.1", "1.0-SNAPSHOT"], ("1.0.1", "1.0-SNAPSHOT")),
        ("Fictional", "1", ["b", "a", "b"], ("b", "a")),
        ("PyPI", "???", ["2.0", "1.0"], ("1.0", "2.0")),
    ],
)
def test_fixed_versions_follow_the_ecosystem_order(
    ecosystem: str, version: str | None, fixed: list[str], expected: tuple[str, ...]
) -> None:
    assert order_fixed(ecosystem, version, fixed) == expected


def test_output_order_is_stable_and_independent_of_input_order() -> None:
    items = [
        finding("GHSA-b", "CVE-2"),
        finding("GHSA-a", "CVE-1", package=FLASK_DEV),
        finding("PYSEC-1", "CVE-2", analyzer="x"),
        finding("GHSA-c"),
    ]
    first = merge_findings(items)
    assert merge_findings(list(reversed(items))) == first
    assert [(m.package.source, m.advisory_id) for m in first] == [
        ("dev/requirements.txt", "GHSA-a"),
        ("requirements.txt", "GHSA-b"),
        ("requirements.txt", "GHSA-c"),
    ]


def test_nothing_in_nothing_out() -> None:
    assert merge_findings([]) == []


_ids = st.sampled_from(["GHSA-1", "GHSA-2", "CVE-1", "CVE-2", "PYSEC-1", "GO-1", "CVE-3"])


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(_ids, st.lists(_ids, max_size=3), st.sampled_from(list(Severity))),
        max_size=12,
    )
)
def test_merge_invariants(raw: list[tuple[str, list[str], Severity]]) -> None:
    items = [
        finding(i, *aliases, severity=sev, analyzer=f"a{n % 3}")
        for n, (i, aliases, sev) in enumerate(raw)
    ]
    merged = merge_findings(items)
    # Every reported id is kept exactly once, and no two merged findings share an id.
    seen: list[str] = []
    for m in merged:
        seen.extend(x.casefold() for x in m.ids)
    assert len(seen) == len(set(seen))
    assert set(seen) == {x.casefold() for f in items for x in f.ids}
    # Severity is the maximum of the merged group; analyzers are a union.
    for m in merged:
        group = [f for f in items if {x.casefold() for x in f.ids} & {x.casefold() for x in m.ids}]
        assert m.severity.rank == max(f.severity.rank for f in group)
        assert set(m.analyzers) == {a for f in group for a in f.analyzers}
        assert m.advisory_id in {f.advisory_id for f in group}
    # Merging is idempotent.
    assert merge_findings(merged) == merged
