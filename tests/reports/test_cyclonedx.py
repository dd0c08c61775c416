from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cyclonedx.model.vulnerability import VulnerabilityScoreSource
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from tests.reports.sample import DJANGO_SQLI, GENERATED_AT, LODASH, NET_HTTP2, build_report

from deeptracy.inventory.model import Inventory, Location, Package
from deeptracy.reports.cyclonedx import CycloneDXWriter, cvss_method
from deeptracy.reports.model import Report
from deeptracy.reports.registry import get_writer
from deeptracy.scanning.suppress import SuppressedFinding, Suppression, SuppressionState

VALIDATOR = JsonStrictValidator(SchemaVersion.V1_6)


def _bom(report: Report, **options: Any) -> dict[str, Any]:
    text = CycloneDXWriter(**options).render(report)
    error = VALIDATOR.validate_str(text)
    assert error is None, error
    data = json.loads(text)
    assert isinstance(data, dict)
    return data


def _component(bom: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [c for c in bom["components"] if c["name"] == name]
    return found


def _vulns(bom: dict[str, Any], advisory_id: str) -> list[dict[str, Any]]:
    return [v for v in bom["vulnerabilities"] if v["id"] == advisory_id]


def _places(component: dict[str, Any]) -> list[tuple[str, int | None]]:
    return [(o["location"], o.get("line")) for o in component["evidence"]["occurrences"]]


def _props(item: dict[str, Any]) -> dict[str, str]:
    return {p["name"]: p["value"] for p in item.get("properties", [])}


def test_valid_cyclonedx_1_6(report: Report) -> None:
    bom = _bom(report)
    assert bom["bomFormat"] == "CycloneDX"
    assert bom["specVersion"] == "1.6"
    assert bom["serialNumber"].startswith("urn:uuid:")


def test_the_validator_is_not_vacuous(report: Report) -> None:
    data = json.loads(CycloneDXWriter().render(report))
    data["vulnerabilities"][0]["analysis"] = {"state": "mostly_fine"}
    assert VALIDATOR.validate_str(json.dumps(data)) is not None


def test_metadata_names_the_tool_and_the_subject(report: Report) -> None:
    meta = _bom(report)["metadata"]
    assert meta["timestamp"] == "2024-05-06T07:08:09+00:00"
    assert meta["tools"]["components"] == [
        {
            "bom-ref": "deeptracy:tool",
            "name": "DeepTracy",
            "type": "application",
            "version": "0.1.0",
        }
    ]
    subject = meta["component"]
    assert subject["name"] == "acme/shop"
    assert subject["version"] == "9fceb02d0ae598e95dc970b74767f19372d61af8"
    assert subject["externalReferences"] == [{"type": "vcs", "url": "https://github.com/acme/shop"}]
    assert _props(subject) == {"deeptracy:branch": "feature/login"}


def test_one_component_per_package_with_purl_and_where_it_was_read(report: Report) -> None:
    bom = _bom(report)
    assert len(bom["components"]) == 6
    django = _component(bom, "Django")
    assert django["bom-ref"] == "pkg:pypi/django@3.2.0"
    assert django["purl"] == "pkg:pypi/django@3.2.0"
    assert django["version"] == "3.2.0"
    assert django["evidence"]["occurrences"] == [
        {
            "bom-ref": "pkg:pypi/django@3.2.0|requirements.txt:3",
            "location": "requirements.txt",
            "line": 3,
        }
    ]
    assert _props(django) == {"deeptracy:direct": "true", "deeptracy:ecosystem": "PyPI"}
    jinja = _component(bom, "jinja2")
    assert jinja["scope"] == "excluded"  # a dev dependency
    assert _props(jinja)["deeptracy:scope"] == "dev"
    go = _component(bom, "golang.org/x/net")
    assert go["purl"] == "pkg:golang/golang.org/x/net@v0.7.0"


def test_declared_only_package_has_no_version(report: Report) -> None:
    lodash = _component(_bom(report), "lodash")
    assert "version" not in lodash
    assert lodash["purl"] == "pkg:npm/lodash"
    assert lodash["bom-ref"] == "pkg:npm/lodash#declared:^4.17.0"
    assert _props(lodash)["deeptracy:declared"] == "^4.17.0"


def test_group_and_name_for_maven_and_scoped_npm() -> None:
    maven = Package(
        "Maven",
        "org.apache.logging.log4j:log4j-core",
        "2.14.1",
        locations=(Location("pom.xml", 20),),
    )
    scoped = Package("npm", "@babel/traverse", "7.22.0", locations=(Location("package-lock.json"),))
    bom = _bom(
        build_report(inventory=Inventory(packages=(maven, scoped)), findings=(), suppressed=())
    )
    log4j = _component(bom, "log4j-core")
    assert log4j["group"] == "org.apache.logging.log4j"
    assert log4j["purl"] == "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"
    babel = _component(bom, "traverse")
    assert babel["group"] == "@babel"
    assert _places(babel) == [("package-lock.json", None)]


def test_the_same_package_in_two_files_is_one_component() -> None:
    again = replace(LODASH, locations=(Location("admin/package.json", 4),))
    bom = _bom(
        build_report(inventory=Inventory(packages=(LODASH, again)), findings=(), suppressed=())
    )
    (lodash,) = bom["components"]
    assert _places(lodash) == [("admin/package.json", 4), ("web/package.json", 12)]


def test_vulnerabilities_with_ratings_affects_and_recommendation(report: Report) -> None:
    bom = _bom(report)
    (django,) = _vulns(bom, "PYSEC-2021-98")
    assert django["affects"] == [{"ref": "pkg:pypi/django@3.2.0"}]
    assert django["recommendation"] == "Upgrade Django to 3.2.5 or later."
    assert django["source"] == {
        "name": "OSV",
        "url": "https://osv.dev/vulnerability/PYSEC-2021-98",
    }
    assert [r["id"] for r in django["references"]] == ["CVE-2021-35042", "GHSA-xpfp-f569-q3p2"]
    (rating,) = django["ratings"]
    assert (rating["score"], rating["severity"], rating["method"]) == (9.8, "critical", "CVSSv31")
    assert "vector" in rating
    assert "analysis" not in django
    (go,) = _vulns(bom, "GO-2023-1571")
    assert go["ratings"] == [
        {
            "severity": "medium",
            "source": {"name": "OSV", "url": "https://osv.dev/vulnerability/GO-2023-1571"},
        }
    ]
    (lodash,) = _vulns(bom, "GHSA-p6mc-m468-83gw")
    assert lodash["affects"] == [{"ref": "pkg:npm/lodash#declared:^4.17.0"}]
    assert _props(lodash)["deeptracy:exact"] == "false"


def test_suppressed_findings_carry_a_vex_analysis(report: Report) -> None:
    bom = _bom(report)
    (pyyaml,) = _vulns(bom, "PYSEC-2021-142")
    assert pyyaml["analysis"] == {
        "state": "not_affected",
        "justification": "code_not_reachable",
        "detail": "we only call yaml.safe_load (.deeptracy.yml, until 2030-01-01)",
    }
    (jinja,) = _vulns(bom, "GHSA-g3rq-g295-4j3m")
    assert jinja["analysis"]["state"] == "exploitable"
    assert jinja["analysis"]["response"] == ["will_not_fix"]
    assert jinja["analysis"]["firstIssued"] == "2024-04-01T12:00:00+00:00"


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (SuppressionState.FALSE_POSITIVE, "false_positive"),
        (SuppressionState.IN_TRIAGE, "in_triage"),
        (SuppressionState.IGNORED, None),
    ],
)
def test_analysis_state_per_suppression(state: SuppressionState, expected: str | None) -> None:
    item = SuppressedFinding(DJANGO_SQLI, Suppression(state, "because", ".deeptracy.yml"))
    (vuln,) = _bom(build_report(findings=(), suppressed=(item,)))["vulnerabilities"]
    assert vuln["analysis"].get("state") == expected
    assert "because" in vuln["analysis"]["detail"]


def test_inventory_only_sbom(report: Report) -> None:
    bom = _bom(report, vulnerabilities=False)
    assert "vulnerabilities" not in bom
    assert len(bom["components"]) == 6
    via_registry = get_writer("cyclonedx", vulnerabilities=False).render(report)
    assert json.loads(via_registry) == bom


def test_direct_dependencies_of_the_subject(report: Report) -> None:
    deps = {d["ref"]: d.get("dependsOn", []) for d in _bom(report)["dependencies"]}
    assert deps["deeptracy:subject"] == [
        "pkg:npm/lodash#declared:^4.17.0",
        "pkg:pypi/django@3.2.0",
        "pkg:pypi/pyyaml@5.3",
        "pkg:pypi/requests@2.31.0",
    ]


def test_deterministic_serial_and_bytes(report: Report) -> None:
    first = CycloneDXWriter().render(report)
    assert CycloneDXWriter().render(report) == first
    assert (
        CycloneDXWriter().render(build_report(findings=tuple(reversed(report.findings)))) == first
    )
    later = build_report(generated_at=GENERATED_AT + timedelta(minutes=1))
    assert (
        json.loads(CycloneDXWriter().render(later))["serialNumber"]
        != json.loads(first)["serialNumber"]
    )


_RENDER = """
import sys
sys.path[:0] = ["src", "."]
from deeptracy.inventory.model import Inventory, Location
from deeptracy.reports.cyclonedx import CycloneDXWriter
from dataclasses import replace
from tests.reports.sample import LODASH, build_report
copies = [replace(LODASH, locations=(Location(f"app{n}/package.json", n),)) for n in range(8)]
report = build_report(inventory=Inventory(packages=tuple(copies)))
sys.stdout.write(CycloneDXWriter().render(report))
"""


def test_same_bytes_in_separate_processes() -> None:
    # Object identities and hash seeds differ between processes; the document must not.
    root = Path(__file__).resolve().parents[2]
    outputs = {
        subprocess.run(
            [sys.executable, "-c", _RENDER],
            cwd=root,
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(outputs) == 1
    assert '"location": "app7/package.json"' in outputs.pop()


@pytest.mark.parametrize(
    ("vector", "method"),
    [
        ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "CVSSv4"),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSSv31"),
        ("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSSv3"),
        ("AV:N/AC:L/Au:N/C:P/I:P/A:P", "CVSSv2"),
        ("something else", "other"),
    ],
)
def test_rating_method_from_the_vector(vector: str, method: str) -> None:
    assert cvss_method(vector) is VulnerabilityScoreSource(method)
    finding = replace(NET_HTTP2, vector=vector, score=7.5)
    (vuln,) = _bom(build_report(findings=(finding,), suppressed=()))["vulnerabilities"]
    assert vuln["ratings"][0]["method"] == method
