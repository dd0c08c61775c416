"""A blocklist analyzer: package versions its vendor knows to be bad, under its own ids.

It is inert unless DEEPTRACY_TEST_PLUGIN=enabled, so installing it into the test environment
does not add an analysis to every scan of every test: its factory then returns no analyzer,
which the registry accepts (a plugin may have nothing to offer in a configuration).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from deeptracy.analyzers.interface import Analyzer, AnalyzerContext
from deeptracy.analyzers.model import AnalysisResult, Finding
from deeptracy.ecosystems import normalize_name
from deeptracy.inventory.model import Inventory
from deeptracy.severity import Severity

ENABLE_VARIABLE = "DEEPTRACY_TEST_PLUGIN"

# (ecosystem, normalized name) -> [(id, aliases, severity, affected versions, fixed, summary)]
BLOCKLIST: dict[
    tuple[str, str], list[tuple[str, tuple[str, ...], Severity, frozenset[str], str, str]]
] = {
    ("PyPI", "flask"): [
        (
            "TESTVENDOR-2019-0001",
            ("CVE-2019-1010083",),
            Severity.CRITICAL,
            frozenset({"0.12.2", "0.12.1", "0.12"}),
            "1.0",
            "Flask JSON decoding denial of service (vendor rating)",
        )
    ],
    ("PyPI", "insecure-package"): [
        (
            "TESTVENDOR-2024-0002",
            (),
            Severity.HIGH,
            frozenset({"0.1.0"}),
            "0.2.0",
            "A package the vendor knows to be malicious",
        )
    ],
}


class BlocklistAnalyzer(Analyzer):
    name = "test-blocklist"
    ecosystems = frozenset({"PyPI", "npm"})
    description = "Vendor blocklist of known-bad package versions (DeepTracy test plugin)"

    def analyze(self, inventory: Inventory) -> AnalysisResult:
        findings: list[Finding] = []
        unchecked = 0
        for package in inventory.packages:
            if package.version is None:
                unchecked += 1
                continue
            key = (package.ecosystem, normalize_name(package.ecosystem, package.name))
            for advisory_id, aliases, severity, versions, fixed, summary in BLOCKLIST.get(key, []):
                if package.version in versions:
                    findings.append(
                        Finding(
                            package=package,
                            advisory_id=advisory_id,
                            aliases=aliases,
                            summary=summary,
                            severity=severity,
                            fixed=(fixed,),
                            matched_range="listed version",
                        )
                    )
        warnings = (f"{unchecked} packages without a resolved version were not checked",)
        return AnalysisResult(tuple(findings), warnings if unchecked else ())


def analyzers(context: AnalyzerContext) -> Sequence[Analyzer]:
    """The entry point: a factory, given the host's context."""
    if os.environ.get(ENABLE_VARIABLE) != "enabled":
        return []
    return [BlocklistAnalyzer(context)]
