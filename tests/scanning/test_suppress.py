from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from deeptracy.analyzers.model import Finding
from deeptracy.inventory.model import Location, Package
from deeptracy.scanning.repo_config import IgnoreRule, PackageSelector, parse_repo_config
from deeptracy.scanning.suppress import (
    Justification,
    Suppression,
    SuppressionState,
    apply_ignores,
    rule_matches,
)
from deeptracy.severity import Severity

TODAY = date(2024, 6, 1)

PYYAML = Package("PyPI", "PyYAML", "5.3", locations=(Location("requirements.txt", 4),))
RCE = Finding(
    package=PYYAML,
    advisory_id="PYSEC-2021-142",
    aliases=("CVE-2020-14343", "GHSA-8q59-q68h-6hv4"),
    summary="Arbitrary code execution via full_load",
    severity=Severity.CRITICAL,
)
LODASH = Package("npm", "lodash", declared="^4.17.0", locations=(Location("package.json", 12),))
PROTO = Finding(
    package=LODASH,
    advisory_id="GHSA-p6mc-m468-83gw",
    aliases=("CVE-2020-8203",),
    summary="Prototype Pollution in lodash",
    severity=Severity.HIGH,
    exact=False,
)
# The same advisory id on another package: a rule limited to lodash must leave it alone.
OTHER = replace(PROTO, package=Package("npm", "lodash-es", "4.17.0"))


def rule(**values: object) -> IgnoreRule:
    return IgnoreRule.model_validate({"reason": "because", **values})


@pytest.mark.parametrize("rule_id", ["PYSEC-2021-142", "cve-2020-14343", "Ghsa-8q59-q68h-6hv4"])
def test_any_id_or_alias_in_any_case(rule_id: str) -> None:
    assert rule_matches(rule(id=rule_id), RCE)


def test_other_ids_do_not_match() -> None:
    assert not rule_matches(rule(id="CVE-2020-1434"), RCE)
    assert not rule_matches(rule(id="PYSEC-2021-14"), RCE)


@pytest.mark.parametrize(
    ("found", "named"),
    [("PyYAML", "pyyaml"), ("PyYAML", "PYYAML"), ("ruamel.yaml", "Ruamel_YAML"), ("a-b", "A__b")],
)
def test_pypi_names_compare_by_pep_503(found: str, named: str) -> None:
    finding = replace(RCE, package=replace(PYYAML, name=found, purl=None))
    assert rule_matches(rule(id="CVE-2020-14343", package=named), finding)


def test_package_and_ecosystem_limit_the_rule() -> None:
    assert not rule_matches(rule(id="CVE-2020-14343", package="ruamel.yaml"), RCE)
    by_npm = rule(id="CVE-2020-8203", package={"name": "lodash", "ecosystem": "npm"})
    assert rule_matches(by_npm, PROTO)
    assert not rule_matches(by_npm, OTHER)
    by_pypi = rule(id="CVE-2020-8203", package={"name": "lodash", "ecosystem": "PyPI"})
    assert not rule_matches(by_pypi, PROTO)
    # npm names are case-sensitive.
    assert not rule_matches(rule(id="CVE-2020-8203", package="Lodash"), PROTO)


def test_apply_ignores_splits_and_keeps_order() -> None:
    config = parse_repo_config(
        b"""
ignore:
  - id: CVE-2020-14343
    package: pyyaml
    reason: only safe_load
    state: not_affected
    justification: code_not_reachable
    expires: 2024-06-01
  - id: GHSA-p6mc-m468-83gw
    package: lodash
    reason: docs build only
"""
    )
    active, suppressed, expired = apply_ignores([OTHER, RCE, PROTO], config.ignore, TODAY)
    assert active == (OTHER,)
    assert [s.finding for s in suppressed] == [RCE, PROTO]
    assert suppressed[0].suppression == Suppression(
        state=SuppressionState.NOT_AFFECTED,
        reason="only safe_load",
        source=".deeptracy.yml",
        expires=date(2024, 6, 1),
        justification=Justification.CODE_NOT_REACHABLE,
        rule="CVE-2020-14343",
    )
    assert suppressed[1].suppression.state is SuppressionState.IGNORED
    assert expired == ()


def test_expired_rules_stop_applying_and_are_returned() -> None:
    old = rule(id="CVE-2020-14343", expires="2024-05-31")
    active, suppressed, expired = apply_ignores([RCE], [old], TODAY)
    assert active == (RCE,) and suppressed == ()
    assert expired == (old,)
    # The expiry day itself is still covered.
    assert apply_ignores([RCE], [old], date(2024, 5, 31)).suppressed[0].finding == RCE


def test_first_live_rule_wins() -> None:
    expired_first = rule(id="PYSEC-2021-142", reason="old", expires="2020-01-01")
    general = rule(id="PYSEC-2021-142", reason="general", state="accepted_risk")
    specific = rule(id="PYSEC-2021-142", reason="specific", package="pyyaml")
    outcome = apply_ignores([RCE], [expired_first, general, specific], TODAY)
    assert outcome.suppressed[0].suppression.reason == "general"
    assert outcome.suppressed[0].suppression.state is SuppressionState.ACCEPTED_RISK
    assert outcome.expired_rules == (expired_first,)


def test_no_rules() -> None:
    assert apply_ignores([RCE, PROTO], [], TODAY) == ((RCE, PROTO), (), ())


def test_suppression_is_validated() -> None:
    with pytest.raises(ValueError, match="not_affected"):
        Suppression(
            SuppressionState.ACCEPTED_RISK,
            "r",
            "triage",
            justification=Justification.CODE_NOT_PRESENT,
        )
    with pytest.raises(ValueError, match="timezone-aware"):
        Suppression(SuppressionState.IN_TRIAGE, "r", "triage", when=datetime(2024, 1, 1))
    triage = Suppression(
        SuppressionState.IN_TRIAGE,
        "looking",
        "triage",
        who="bob",
        when=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
    )
    assert triage.to_dict()["when"] == "2024-01-02T03:04:05Z"


def test_rule_built_in_code_matches_like_a_parsed_one() -> None:
    direct = IgnoreRule(id="CVE-2020-8203", reason="r", package=PackageSelector(name="lodash"))
    assert rule_matches(direct, PROTO)
    assert direct.describe() == "CVE-2020-8203 (lodash)"
