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

__all__ = [
    "Advisory",
    "AdvisoryChange",
    "AdvisoryChangePackage",
    "AdvisoryCursor",
    "AdvisoryPackage",
    "AdvisoryRun",
    "AdvisorySource",
    "Base",
]
