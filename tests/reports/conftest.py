from __future__ import annotations

import pytest
from tests.reports.sample import build_report

from deeptracy.reports.model import Report


@pytest.fixture
def report() -> Report:
    return build_report()
