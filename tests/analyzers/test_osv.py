"""The built-in osv analyzer over the local advisory database (both backends)."""

from __future__ import annotations

from pathlib import Path

import pytest

from deeptracy.analyzers.interface import AnalyzerContext
from deeptracy.analyzers.osv import OsvAnalyzer
from deeptracy.config import Settings
from deeptracy.inventory.model import Inventory, Location, Package
from deeptracy.severity import Severity
from deeptracy.store.db import Database
from tests.support.osv_records import affected, osv, rng
from tests.support.scans import LODASH, RECORDS, import_records

FLASK_APP = Package("PyPI", "Flask", "0.12.2", locations=(Location("requirements.txt", 1),))
FLASK_DOCS = Package("PyPI", "flask", "0.12.2", locations=(Location("docs/requirements.txt", 2),))
FLASK_NEW = Package("PyPI", "flask", "2.0.1", locations=(Location("other/requirements.txt", 1),))
LODASH_DECLARED = Package(
    "npm", "lodash", declared="^4.17.0", locations=(Location("web/package.json", 9),)
)
BAD_VERSION = Package("PyPI", "requests", "not a version!", locations=(Location("r.txt", 4),))
VCS = Package("PyPI", "internal-lib", note="git+https://...", locations=(Location("r.txt", 5),))


@pytest.fixture
def analyzer(database: Database, settings: Settings, tmp_path: Path) -> OsvAnalyzer:
    import_records(database, tmp_path / "osv", RECORDS)
    found = OsvAnalyzer(AnalyzerContext(settings, database))
    assert found.matchers is not None
    found.matchers.check_interval = 0  # see the next import at once
    return found


def test_exact_and_declared_matches(analyzer: OsvAnalyzer) -> None:
    result = analyzer.analyze(
        Inventory((FLASK_APP, FLASK_DOCS, FLASK_NEW, LODASH_DECLARED, BAD_VERSION, VCS))
    )
    got = {(f.package.source, f.advisory_id): f for f in result.findings}
    assert sorted(got) == [
        ("docs/requirements.txt", "GHSA-5wv5-4vpf-pj6m"),
        ("docs/requirements.txt", "PYSEC-2019-179"),
        ("requirements.txt", "GHSA-5wv5-4vpf-pj6m"),
        ("requirements.txt", "PYSEC-2019-179"),
        ("web/package.json", "GHSA-p6mc-m468-83gw"),
    ]
    ghsa = got[("requirements.txt", "GHSA-5wv5-4vpf-pj6m")]
    assert ghsa.package is FLASK_APP
    assert (ghsa.severity, ghsa.fixed, ghsa.exact, ghsa.analyzers) == (
        Severity.HIGH,
        ("0.12.3",),
        True,
        ("osv",),
    )
    assert ghsa.aliases == ("CVE-2019-1010083", "PYSEC-2019-179")
    pysec = got[("requirements.txt", "PYSEC-2019-179")]
    assert (pysec.severity, pysec.score) == (Severity.HIGH, 7.5)
    lodash = got[("web/package.json", "GHSA-p6mc-m468-83gw")]
    assert (lodash.exact, lodash.admits_unaffected, lodash.fixed) == (False, True, ("4.17.19",))
    assert result.warnings == (
        "1 packages have neither a version nor a requirement (VCS, path or URL dependencies) "
        "and were not checked: PyPI internal-lib",
        "PyPI requests: 'not a version!' is not a valid PEP 440 version",
    )


def test_an_advisory_that_cannot_be_evaluated_is_a_possible_finding(
    analyzer: OsvAnalyzer, database: Database, tmp_path: Path
) -> None:
    weird = osv(
        "GHSA-weird",
        affected("PyPI", "weird-lib", rng(("introduced", "0"), ("fixed", "1.0 beta (final)"))),
        database_specific={"severity": "LOW"},
    )
    import_records(database, tmp_path / "more", [weird])
    package = Package("PyPI", "weird-lib", "0.5", locations=(Location("requirements.txt", 3),))
    result = analyzer.analyze(Inventory((package,)))
    [finding] = result.findings
    assert (finding.advisory_id, finding.exact, finding.severity) == (
        "GHSA-weird",
        False,
        Severity.LOW,
    )
    assert finding.matched_range.startswith("could not be evaluated: ")
    assert len(result.warnings) == 1
    assert result.warnings[0].startswith("PyPI some advisories could not be evaluated: GHSA-weird")


def test_the_matcher_follows_new_imports(
    analyzer: OsvAnalyzer, database: Database, tmp_path: Path
) -> None:
    package = Package("npm", "left-pad", "1.0.0", locations=(Location("package-lock.json"),))
    assert analyzer.analyze(Inventory((package,))).findings == ()
    assert analyzer.matchers is not None
    before = analyzer.matchers.get()
    import_records(
        database,
        tmp_path / "new",
        [osv("GHSA-left-pad", affected("npm", "left-pad", rng(("introduced", "0"))))],
    )
    assert [f.advisory_id for f in analyzer.analyze(Inventory((package,))).findings] == [
        "GHSA-left-pad"
    ]
    after = analyzer.matchers.get()
    assert after is not before
    assert analyzer.matchers.get() is after  # no new import: the same matcher is kept


def test_one_query_per_distinct_package(analyzer: OsvAnalyzer) -> None:
    many = tuple(
        Package("npm", "lodash", "4.17.4", locations=(Location(f"app{i}/package-lock.json"),))
        for i in range(50)
    )
    result = analyzer.analyze(Inventory((*many, LODASH_DECLARED)))
    assert len(result.findings) == 51
    assert {f.advisory_id for f in result.findings} == {LODASH["id"]}


def test_the_analyzer_needs_a_database_or_a_remote(settings: Settings) -> None:
    with pytest.raises(ValueError, match="needs a database"):
        OsvAnalyzer(AnalyzerContext(settings))
    with pytest.raises(ValueError, match="needs an AnalyzerContext"):
        OsvAnalyzer()


def test_warm_loads_the_index_ahead_of_the_first_analysis(
    database: Database, settings: Settings, tmp_path: Path
) -> None:
    import_records(database, tmp_path / "osv", RECORDS)
    analyzer = OsvAnalyzer(AnalyzerContext(settings, database))
    assert analyzer.matchers is not None
    analyzer.matchers.check_interval = 3600  # no reload during the test
    analyzer.warm()
    import_records(
        database,
        tmp_path / "later",
        [osv("GHSA-left-pad", affected("npm", "left-pad", rng(("introduced", "0"))))],
    )
    package = Package("npm", "left-pad", "1.0.0", locations=(Location("package-lock.json"),))
    # The index was loaded by warm(), before the import: the analysis uses it as it was.
    assert analyzer.analyze(Inventory((package,))).findings == ()
