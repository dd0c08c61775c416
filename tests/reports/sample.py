"""A realistic report for the writer tests, built from values the way a scan builds them."""

from __future__ import annotations

from datetime import UTC, date, datetime

from deeptracy.analyzers.model import Finding
from deeptracy.inventory.model import FileError, Inventory, Location, Package, Scope
from deeptracy.reports.model import AnalyzerState, AnalyzerStatus, Report, Target
from deeptracy.scanning.repo_config import IgnoreRule, PackageSelector
from deeptracy.scanning.suppress import (
    Justification,
    SuppressedFinding,
    Suppression,
    SuppressionState,
)
from deeptracy.severity import Severity

GENERATED_AT = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)

DJANGO = Package(
    "PyPI", "Django", "3.2.0", direct=True, locations=(Location("requirements.txt", 3),)
)
LODASH = Package(
    "npm", "lodash", declared="^4.17.0", direct=True, locations=(Location("web/package.json", 12),)
)
NET = Package("Go", "golang.org/x/net", "v0.7.0", direct=False, locations=(Location("go.mod", 9),))
PYYAML = Package("PyPI", "PyYAML", "5.3", direct=True, locations=(Location("requirements.txt", 4),))
JINJA = Package(
    "PyPI",
    "jinja2",
    "2.10",
    direct=False,
    scope=Scope.DEV,
    locations=(Location("requirements-dev.txt", 1),),
)
REQUESTS = Package(
    "PyPI", "requests", "2.31.0", direct=True, locations=(Location("requirements.txt", 5),)
)

DJANGO_SQLI = Finding(
    package=DJANGO,
    advisory_id="PYSEC-2021-98",
    aliases=("CVE-2021-35042", "GHSA-xpfp-f569-q3p2"),
    summary="Potential SQL injection via unsanitized QuerySet.order_by() input",
    severity=Severity.CRITICAL,
    score=9.8,
    vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    fixed=("3.2.5", "3.1.13"),
    matched_range=">=3.2, <3.2.5",
    analyzers=("osv",),
)
LODASH_PROTO = Finding(
    package=LODASH,
    advisory_id="GHSA-p6mc-m468-83gw",
    aliases=("CVE-2020-8203",),
    summary="Prototype Pollution in lodash",
    severity=Severity.HIGH,
    score=7.4,
    vector="CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H",
    fixed=("4.17.19",),
    matched_range="<4.17.19",
    exact=False,
    admits_unaffected=True,
    analyzers=("osv",),
)
NET_HTTP2 = Finding(
    package=NET,
    advisory_id="GO-2023-1571",
    aliases=("CVE-2022-41723", "GHSA-vvpx-j8f3-3w6h"),
    summary="Denial of service via crafted HTTP/2 stream in net/http and golang.org/x/net",
    severity=Severity.MEDIUM,
    score=None,
    vector=None,
    fixed=("0.7.1",),
    matched_range="<0.7.1",
    analyzers=("osv",),
)
PYYAML_RCE = Finding(
    package=PYYAML,
    advisory_id="PYSEC-2021-142",
    aliases=("CVE-2020-14343", "GHSA-8q59-q68h-6hv4"),
    summary="Arbitrary code execution via full_load",
    severity=Severity.CRITICAL,
    score=9.8,
    vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    fixed=("5.4",),
    matched_range="<5.4",
    analyzers=("osv",),
)
JINJA_XSS = Finding(
    package=JINJA,
    advisory_id="GHSA-g3rq-g295-4j3m",
    aliases=("CVE-2020-28493", "PYSEC-2021-66"),
    summary="Regular Expression Denial of Service in Jinja2",
    severity=Severity.MEDIUM,
    score=5.3,
    vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L",
    fixed=("2.11.3",),
    matched_range="<2.11.3",
    analyzers=("osv",),
)

IGNORE_PYYAML = IgnoreRule(
    id="cve-2020-14343",
    package=PackageSelector(name="pyyaml"),
    reason="we only call yaml.safe_load",
    expires=date(2030, 1, 1),
    state="not_affected",
    justification=Justification.CODE_NOT_REACHABLE,
)
EXPIRED_RULE = IgnoreRule(
    id="CVE-2021-35042", reason="waiting for 3.2.5", expires=date(2024, 1, 31)
)


def build_report(**changes: object) -> Report:
    values: dict[str, object] = {
        "target": Target(
            name="acme/shop",
            repository="https://github.com/acme/shop",
            branch="feature/login",
            commit="9fceb02d0ae598e95dc970b74767f19372d61af8",
        ),
        "generated_at": GENERATED_AT,
        "inventory": Inventory(
            packages=(DJANGO, LODASH, NET, PYYAML, JINJA, REQUESTS),
            errors=(FileError("web/yarn.lock", "invalid entry", line=40),),
        ),
        "findings": (NET_HTTP2, LODASH_PROTO, DJANGO_SQLI),
        "suppressed": (
            SuppressedFinding(PYYAML_RCE, IGNORE_PYYAML.suppression()),
            SuppressedFinding(
                JINJA_XSS,
                Suppression(
                    state=SuppressionState.ACCEPTED_RISK,
                    reason="dev-only templates",
                    source="triage",
                    who="alice@example.com",
                    when=datetime(2024, 4, 1, 12, 0, tzinfo=UTC),
                ),
            ),
        ),
        "analyzers": (AnalyzerStatus("osv", AnalyzerState.DONE),),
        "expired_rules": (EXPIRED_RULE,),
    }
    values.update(changes)
    return Report(**values)  # type: ignore[arg-type]
