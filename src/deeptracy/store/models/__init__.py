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
from deeptracy.store.models.events import Event, MonitorRun, Notification, WebhookDelivery
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
from deeptracy.store.models.web import Triage, User, WebSession

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
    "Event",
    "Finding",
    "Inventory",
    "InventoryPackage",
    "MonitorRun",
    "Notification",
    "Project",
    "Scan",
    "Triage",
    "User",
    "WebSession",
    "WebhookDelivery",
]
