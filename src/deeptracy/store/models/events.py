"""Events (what happened to a project), their notification deliveries, webhook deliveries,
and monitoring's progress through advisory runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from deeptracy.store.base import Base, JSONDoc, UTCDateTime, utcnow
from deeptracy.store.enums import DeliveryState
from deeptracy.store.models.service import BigId


class Event(Base):
    __tablename__ = "event"
    __table_args__ = (Index("ix_event_project_created", "project_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    branch: Mapped[str | None] = mapped_column(String(255))
    scan_id: Mapped[str | None] = mapped_column(ForeignKey("scan.id", ondelete="SET NULL"))
    advisory_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("advisory_runs.id", ondelete="SET NULL")
    )
    kind: Mapped[str] = mapped_column(String(32))
    # What makes the event happen once ("scan:<id>", "run:<id>:branch:<id>:new_findings"):
    # a retried task or a second worker finds the existing event instead of adding another.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    summary: Mapped[str] = mapped_column(Text, default="")
    # Findings added or closed, counts by severity, who triaged: what a message needs.
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Notification(Base):
    """One delivery of one event to one channel, with its retries; visible through the API."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[str] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(16))  # slack, email, webhook, teams
    channel_id: Mapped[str | None] = mapped_column(String(32))  # the id in Project.channels
    target: Mapped[str] = mapped_column(String(255))  # a label without secrets
    state: Mapped[DeliveryState] = mapped_column(String(16), default=DeliveryState.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    response_status: Mapped[int | None] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebhookDelivery(Base):
    """A push webhook received; the unique (provider, delivery id) makes redelivery a no-op."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (UniqueConstraint("provider", "delivery_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    provider: Mapped[str] = mapped_column(String(16))
    delivery_id: Mapped[str] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    project_id: Mapped[str | None] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    scan_id: Mapped[str | None] = mapped_column(ForeignKey("scan.id", ondelete="SET NULL"))
    outcome: Mapped[str] = mapped_column(String(32))


class MonitorRun(Base):
    """Monitoring has processed the delta of this advisory run (so it is done once)."""

    __tablename__ = "monitor_run"

    advisory_run_id: Mapped[int] = mapped_column(
        ForeignKey("advisory_runs.id", ondelete="CASCADE"), primary_key=True
    )
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    branches_checked: Mapped[int] = mapped_column(Integer, default=0)
    events_created: Mapped[int] = mapped_column(Integer, default=0)
