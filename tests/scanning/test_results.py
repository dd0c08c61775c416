"""Stored results <-> values: what cannot be stored is refused, what cannot be read is skipped."""

from __future__ import annotations

import pytest

from deeptracy.inventory.model import FileError, Inventory, Location, Package
from deeptracy.scanning.results import (
    ScanNotFound,
    expired_rules_of,
    fit_inventory,
    load_report,
    suppression_of,
)
from deeptracy.scanning.suppress import SuppressionState
from deeptracy.store.db import Database


def test_packages_that_cannot_be_stored_become_file_errors() -> None:
    fine = Package("npm", "left-pad", "1.0.0", locations=(Location("package-lock.json", 3),))
    long_name = Package("npm", "x" * 600, "1.0.0", locations=(Location("package-lock.json", 9),))
    long_version = Package("PyPI", "flask", "1." * 200, locations=(Location("r.txt", 2),))
    inventory = Inventory((fine, long_name, long_version), (FileError("a.json", "broken"),))
    fitted = fit_inventory(inventory)
    assert fitted.packages == (fine,)
    assert fitted.errors == (
        FileError("a.json", "broken"),
        FileError("package-lock.json", "a package name longer than 512 characters; skipped", 9),
        FileError("r.txt", "a package version longer than 255 characters; skipped", 2),
    )
    assert fit_inventory(Inventory((fine,))) == Inventory((fine,))


def test_stored_documents_that_no_longer_read_are_ignored() -> None:
    assert suppression_of(None) is None
    assert suppression_of({"state": "no-such-state", "reason": "x"}) is None
    assert suppression_of({"reason": "no state"}) is None
    read = suppression_of(
        {
            "state": "accepted_risk",
            "reason": "r",
            "source": "triage",
            "when": "2024-05-01T10:00:00Z",
        }
    )
    assert read is not None and read.state is SuppressionState.ACCEPTED_RISK
    assert read.when is not None and read.when.isoformat() == "2024-05-01T10:00:00+00:00"
    rules = expired_rules_of(
        {"expired_rules": [{"id": "CVE-1", "reason": "ok"}, {"id": "CVE-2", "nonsense": 1}]}
    )
    assert [r.id for r in rules] == ["CVE-1"]
    assert expired_rules_of(None) == ()


def test_an_unknown_scan(database: Database) -> None:
    with database.session() as session, pytest.raises(ScanNotFound, match="does not exist"):
        load_report(session, "no-such-scan")
