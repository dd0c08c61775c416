"""Scan requests: a PENDING row first, then the queue is told (after commit)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deeptracy.config import Settings
from deeptracy.projects.registry import checked_branch
from deeptracy.store.base import utcnow
from deeptracy.store.enums import ScanState, Trigger
from deeptracy.store.models import Project, Scan


class RateLimited(Exception):
    """ALLOWED_SCANS_PER_PERIOD scans were already requested in the period."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"scan rate limit reached; retry in {retry_after} s")
        self.retry_after = retry_after


def check_rate_limit(session: Session, settings: Settings, project_id: str) -> None:
    """Raise RateLimited when the project had its quota of scans in the last period.

    ALLOWED_SCANS_PER_PERIOD=0 disables the limit, as in the original.
    """
    allowed = settings.allowed_scans_per_period
    if allowed == 0:
        return
    period = timedelta(minutes=settings.allowed_scans_check_period)
    since = utcnow() - period
    recent = list(
        session.scalars(
            select(Scan.created_at)
            .where(Scan.project_id == project_id, Scan.created_at > since)
            .order_by(Scan.created_at.desc())
            .limit(allowed)
        )
    )
    if len(recent) < allowed:
        return
    oldest: datetime = recent[-1]
    retry_after = max(1, int((oldest + period - utcnow()).total_seconds()) + 1)
    raise RateLimited(retry_after)


def request_scan(
    session: Session,
    project: Project,
    *,
    branch: str | None = None,
    trigger: Trigger = Trigger.API,
    commit_sha: str | None = None,
    delivery_id: str | None = None,
    requested_by: str | None = None,
) -> Scan:
    """A new PENDING scan of `branch` (default: the project's default branch, else the
    remote's HEAD, resolved by the worker). The caller commits, then enqueues its id."""
    scan = Scan(
        project_id=project.id,
        branch=checked_branch(branch) or project.default_branch,
        trigger=trigger,
        state=ScanState.PENDING,
        commit_sha=commit_sha,
        delivery_id=delivery_id,
        requested_by=requested_by,
    )
    session.add(scan)
    session.flush()
    return scan


def pending_count(session: Session) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(Scan).where(Scan.state == ScanState.PENDING)
        )
        or 0
    )
