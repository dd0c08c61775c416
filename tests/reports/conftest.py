from __future__ import annotations

import pytest

from deeptracy.reports.model import Report
from tests.reports.sample import build_report


@pytest.fixture
def report() -> Report:
    return build_report()
