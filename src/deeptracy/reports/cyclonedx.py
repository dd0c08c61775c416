"""CycloneDX 1.6 JSON: the inventory as an SBOM, with vulnerabilities and VEX analysis.

Components are the inventory's distinct packages (ecosystem, name, version or declared range);
where each was read goes into `evidence.occurrences` (file and line). A declared-only package
has no version: its purl has none either, and its range is the `deeptracy:declared` property.
Suppressed findings keep their vulnerability entry with an `analysis` (VEX): not_affected,
false_positive, exploitable + will_not_fix (accepted risk), in_triage; a bare `.deeptracy.yml`
ignore asserts no state and only gives its reason as the analysis detail.
"""

from __future__ import annotations

import hashlib
import json
import uuid
import warnings
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import ClassVar

from cyclonedx.model import ExternalReference, ExternalReferenceType, Property, XsUri
from cyclonedx.model.bom import Bom, BomMetaData
from cyclonedx.model.component import Component, ComponentScope, ComponentType
from cyclonedx.model.component_evidence import ComponentEvidence, Occurrence
from cyclonedx.model.impact_analysis import (
    ImpactAnalysisJustification,
    ImpactAnalysisResponse,
    ImpactAnalysisState,
)
from cyclonedx.model.tool import ToolRepository
from cyclonedx.model.vulnerability import (
    BomTarget,
    Vulnerability,
    VulnerabilityAnalysis,
    VulnerabilityRating,
    VulnerabilityReference,
    VulnerabilityScoreSource,
    VulnerabilitySeverity,
    VulnerabilitySource,
)
from cyclonedx.output.json import JsonV1Dot6
from packageurl import PackageURL

from deeptracy.analyzers.model import Finding
from deeptracy.ecosystems import MAVEN, NPM, normalize_name
from deeptracy.inventory.model import Package, Scope
from deeptracy.reports.common import advisory_url
from deeptracy.reports.interface import Writer
from deeptracy.reports.model import Report
from deeptracy.scanning.suppress import Suppression, SuppressionState
from deeptracy.severity import Severity

SUBJECT_REF = "deeptracy:subject"
TOOL_REF = "deeptracy:tool"
PROPERTY_PREFIX = "deeptracy:"

_SEVERITY = {
    Severity.CRITICAL: VulnerabilitySeverity.CRITICAL,
    Severity.HIGH: VulnerabilitySeverity.HIGH,
    Severity.MEDIUM: VulnerabilitySeverity.MEDIUM,
    Severity.LOW: VulnerabilitySeverity.LOW,
    Severity.NONE: VulnerabilitySeverity.NONE,
    Severity.UNKNOWN: VulnerabilitySeverity.UNKNOWN,
}
_STATE = {
    SuppressionState.NOT_AFFECTED: ImpactAnalysisState.NOT_AFFECTED,
    SuppressionState.FALSE_POSITIVE: ImpactAnalysisState.FALSE_POSITIVE,
    SuppressionState.ACCEPTED_RISK: ImpactAnalysisState.EXPLOITABLE,
    SuppressionState.IN_TRIAGE: ImpactAnalysisState.IN_TRIAGE,
}
# Scopes for software that is not shipped (dev, test, build) are "excluded" in CycloneDX.
_SCOPE = {
    Scope.DEV: ComponentScope.EXCLUDED,
    Scope.TEST: ComponentScope.EXCLUDED,
    Scope.BUILD: ComponentScope.EXCLUDED,
    Scope.OPTIONAL: ComponentScope.OPTIONAL,
    Scope.PEER: ComponentScope.OPTIONAL,
    Scope.PROVIDED: ComponentScope.OPTIONAL,
}


class CycloneDXWriter(Writer):
    name: ClassVar[str] = "cyclonedx"
    media_type: ClassVar[str] = "application/vnd.cyclonedx+json"
    extension: ClassVar[str] = "cdx.json"

    def __init__(self, *, vulnerabilities: bool = True) -> None:
        # vulnerabilities=False: an inventory-only SBOM (`deeptracy inventory --format cyclonedx`)
        self.vulnerabilities = vulnerabilities

    def render(self, report: Report) -> str:
        bom = build_bom(report, vulnerabilities=self.vulnerabilities)
        with warnings.catch_warnings():
            # Without lockfile graphs the direct dependencies of the subject may be unknown;
            # the library warns that the graph is incomplete, which the SBOM already implies.
            warnings.filterwarnings("ignore", message="The Component this BOM is describing")
            text = JsonV1Dot6(bom).output_as_string(indent=2)
        return text + "\n"


def package_identity(package: Package) -> tuple[str, str, str, str]:
    return (
        package.ecosystem,
        normalize_name(package.ecosystem, package.name),
        package.version or "",
        package.declared or "",
    )


def bom_ref(package: Package) -> str:
    """The purl of a resolved package; a declared or unresolved one says so after a '#'."""
    base = package.purl or f"{package.ecosystem}:{package.name}"
    if package.version is not None:
        return base
    if package.declared is not None:
        return f"{base}#declared:{package.declared}"
    return f"{base}#unresolved"


def build_bom(report: Report, *, vulnerabilities: bool = True) -> Bom:
    groups: dict[tuple[str, str, str, str], list[Package]] = defaultdict(list)
    for package in report.inventory.packages:
        groups[package_identity(package)].append(package)
    for finding in (*report.findings, *(s.finding for s in report.suppressed)):
        groups[package_identity(finding.package)].append(finding.package)

    components = {key: _component(packages) for key, packages in groups.items()}
    subject = Component(
        type=ComponentType.APPLICATION,
        name=report.target.name,
        version=report.target.commit,
        bom_ref=SUBJECT_REF,
        external_references=_vcs(report.target.repository),
        properties=_properties(branch=report.target.branch),
    )
    tool = Component(
        type=ComponentType.APPLICATION,
        name=report.tool_name,
        version=report.tool_version,
        bom_ref=TOOL_REF,
    )
    bom = Bom(
        serial_number=_serial(report, vulnerabilities),
        metadata=BomMetaData(
            timestamp=report.generated_at,
            tools=ToolRepository(components=[tool]),
            component=subject,
        ),
        components=components.values(),
    )
    direct = [
        components[package_identity(p)] for p in report.inventory.packages if p.direct is True
    ]
    bom.register_dependency(subject, direct)
    if vulnerabilities:
        bom.vulnerabilities = _vulnerabilities(report)
    return bom


def _serial(report: Report, vulnerabilities: bool) -> uuid.UUID:
    """Derived from the content and time, so the same report gives the same document."""
    digest = hashlib.sha256(
        json.dumps(
            [
                report.tool_version,
                report.target.to_dict(),
                report.generated_at.isoformat(),
                report.inventory.fingerprint(),
                sorted(f.advisory_id + bom_ref(f.package) for f in report.findings),
                sorted(
                    s.finding.advisory_id + bom_ref(s.finding.package) for s in report.suppressed
                ),
                vulnerabilities,
            ]
        ).encode()
    ).hexdigest()
    return uuid.uuid5(uuid.NAMESPACE_URL, f"urn:deeptracy:bom:{digest}")


def _vcs(repository: str | None) -> list[ExternalReference]:
    if not repository or "://" not in repository:
        return []
    return [ExternalReference(type=ExternalReferenceType.VCS, url=XsUri(repository))]


def _properties(**values: str | None) -> list[Property]:
    return [
        Property(name=PROPERTY_PREFIX + key, value=value)
        for key, value in values.items()
        if value is not None
    ]


def _component(packages: list[Package]) -> Component:
    first = packages[0]
    group, name = _group_and_name(first)
    scopes = {p.scope for p in packages}
    scope = None
    if None not in scopes:  # known for every occurrence: the least restrictive wins
        mapped = {_SCOPE[s] for s in scopes if s is not None}
        for candidate in (ComponentScope.OPTIONAL, ComponentScope.EXCLUDED):
            if candidate in mapped:
                scope = candidate
                break
    directs = {p.direct for p in packages} - {None}
    ref = bom_ref(first)
    places = sorted(
        {(loc.path, loc.line) for p in packages for loc in p.locations},
        key=lambda place: (place[0], place[1] or 0),
    )
    # Explicit refs: the library orders occurrences by bom-ref, and unset refs compare by
    # object identity, which would make the order differ from run to run.
    occurrences = [
        Occurrence(bom_ref=f"{ref}|{path}" + (f":{line}" if line else ""), location=path, line=line)
        for path, line in places
    ]
    return Component(
        type=ComponentType.LIBRARY,
        bom_ref=ref,
        group=group,
        name=name,
        version=first.version,
        purl=PackageURL.from_string(first.purl) if first.purl else None,
        scope=scope,
        properties=_properties(
            ecosystem=first.ecosystem,
            declared=first.declared,
            direct=("true" if True in directs else "false") if directs else None,
            scope=",".join(sorted(s.value for s in scopes if s is not None)) or None,
            note=first.note,
        ),
        evidence=ComponentEvidence(occurrences=occurrences) if occurrences else None,
    )


def _group_and_name(package: Package) -> tuple[str | None, str]:
    if package.ecosystem == MAVEN and ":" in package.name:
        group, _, artifact = package.name.rpartition(":")
        return group, artifact
    if package.ecosystem == NPM and package.name.startswith("@") and "/" in package.name:
        scope, _, name = package.name.partition("/")
        return scope, name
    return None, package.name


def _source(advisory_id: str) -> VulnerabilitySource:
    upper = advisory_id.upper()
    name = "GitHub" if upper.startswith("GHSA-") else "NVD" if upper.startswith("CVE-") else "OSV"
    return VulnerabilitySource(name=name, url=XsUri(advisory_url(advisory_id)))


def cvss_method(vector: str) -> VulnerabilityScoreSource:
    """CVSSv2/v3/v31/v4 from the vector's prefix (v2 vectors have none, but an Au: metric)."""
    if vector.startswith("CVSS:4."):
        return VulnerabilityScoreSource.CVSS_V4
    if vector.startswith("CVSS:3.1"):
        return VulnerabilityScoreSource.CVSS_V3_1
    if vector.startswith("CVSS:3."):
        return VulnerabilityScoreSource.CVSS_V3
    if vector.startswith("CVSS:2.") or "Au:" in vector:
        return VulnerabilityScoreSource.CVSS_V2
    return VulnerabilityScoreSource.OTHER


def _rating(finding: Finding) -> VulnerabilityRating:
    return VulnerabilityRating(
        source=_source(finding.advisory_id),
        score=Decimal(f"{finding.score:.1f}") if finding.score is not None else None,
        severity=_SEVERITY[finding.severity],
        method=cvss_method(finding.vector) if finding.vector else None,
        vector=finding.vector,
    )


def _analysis(suppression: Suppression) -> VulnerabilityAnalysis:
    detail = f"{suppression.reason} ({suppression.source}"
    if suppression.who:
        detail += f", by {suppression.who}"
    if suppression.expires:
        detail += f", until {suppression.expires.isoformat()}"
    detail += ")"
    if suppression.state is SuppressionState.IGNORED:
        detail = "Ignored: " + detail
    return VulnerabilityAnalysis(
        state=_STATE.get(suppression.state),
        justification=ImpactAnalysisJustification(suppression.justification.value)
        if suppression.justification
        else None,
        responses=[ImpactAnalysisResponse.WILL_NOT_FIX]
        if suppression.state is SuppressionState.ACCEPTED_RISK
        else None,
        detail=detail,
        first_issued=suppression.when,
    )


def _vulnerabilities(report: Report) -> Iterable[Vulnerability]:
    entries: list[tuple[Finding, Suppression | None]] = [(f, None) for f in report.findings]
    entries += [(s.finding, s.suppression) for s in report.suppressed]
    seen: dict[str, int] = {}
    out: list[Vulnerability] = []
    for finding, suppression in entries:
        target = bom_ref(finding.package)
        ref = f"{finding.advisory_id}|{target}"
        if suppression is not None:
            ref += f"|{suppression.state.value}"
        seen[ref] = seen.get(ref, 0) + 1
        if seen[ref] > 1:  # the same package read from several files: one entry suffices
            continue
        recommendation = (
            f"Upgrade {finding.package.name} to {finding.fixed_version} or later."
            if finding.fixed_version
            else None
        )
        out.append(
            Vulnerability(
                bom_ref=ref,
                id=finding.advisory_id,
                source=_source(finding.advisory_id),
                references=[
                    VulnerabilityReference(id=alias, source=_source(alias))
                    for alias in sorted(set(finding.ids[1:]))
                ],
                ratings=[_rating(finding)],
                description=finding.summary or None,
                recommendation=recommendation,
                affects=[BomTarget(ref=target)],
                analysis=_analysis(suppression) if suppression is not None else None,
                properties=_properties(
                    exact="true" if finding.exact else "false",
                    matched_range=finding.matched_range or None,
                    analyzers=",".join(sorted(set(finding.analyzers))) or None,
                ),
            )
        )
    return out
