"""All ORM models; importing this package registers every table on `Base.metadata`."""

from deeptracy.store.base import Base
from deeptracy.store.models.advisories import (
    Advisory,
    AdvisoryChange,
    AdvisoryChangePackage,
    AdvisoryCursor,
    AdvisoryPackage,
    AdvisoryRun,
    AdvisorySource,
)
from deeptracy.store.models.service import (
    Analysis,
    AnalysisFinding,
    ApiToken,
    Branch,
    Finding,
    Inventory,
    InventoryPackage,
    Project,
    Scan,
)

__all__ = [
    "Advisory",
    "AdvisoryChange",
    "AdvisoryChangePackage",
    "AdvisoryCursor",
    "AdvisoryPackage",
    "AdvisoryRun",
    "AdvisorySource",
    "Analysis",
    "AnalysisFinding",
    "ApiToken",
    "Base",
    "Branch",
    "Finding",
    "Inventory",
    "InventoryPackage",
    "Project",
    "Scan",
]
