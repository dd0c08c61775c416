"""Notification delivery: one row per event and channel, sent with retries, every attempt recorded.

`create_notifications` (inside the transaction that records the event) or `notify_event` adds a
PENDING `Notification` per channel of the project when the project's policy wants the event.
`deliver_due` sends the rows that are due:

- A row is claimed with a conditional UPDATE (state PENDING, attempts unchanged), which adds
  one to `attempts` and pushes `next_attempt_at` past the send's lease, so two loops (an
  embedded thread and a beat task, several workers) never send one attempt twice; a sender
  that dies mid-send leaves the row to be retried when the lease ends.
- Sent: SENT with `sent_at` and the response status. A transient failure (transport error,
  timeout, 408/425/5xx, 429, SMTP 4xx) is retried after NOTIFY_BACKOFF_SECONDS doubled per
  attempt with ±20 % jitter, or after the receiver's Retry-After (seconds or HTTP date), both
  capped by NOTIFY_MAX_BACKOFF_SECONDS; after NOTIFY_MAX_ATTEMPTS attempts, or at once for a
  permanent failure (other 4xx, redirects, refused host, SMTP 5xx or authentication, missing
  configuration, a removed channel), the row is FAILED with the error.
- `last_error` and logs never hold secrets: notifiers scrub the channel's URL, webhook secret
  and SMTP password from every error text, and logs name channels by their redacted label.

Nothing here raises into the caller: a failed notification never fails a scan or a sync.
"""

from __future__ import annotations

import logging
import random
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from deeptracy.config import Settings
from deeptracy.events.channels import (
    channel_label,
    find_channel,
    open_channel,
    stored_channels,
)
from deeptracy.events.history import event_info
from deeptracy.events.messages import Message, ProjectRef, build_message
from deeptracy.events.notifiers import notifier_for
from deeptracy.events.notifiers.http import new_client
from deeptracy.events.notifiers.interface import DeliveryResult, Notifier
from deeptracy.events.policy import stored_min_severity, stored_policy, wants_notification
from deeptracy.store.base import utcnow
from deeptracy.store.db import Database
from deeptracy.store.enums import DeliveryState
from deeptracy.store.models import Event, Notification, Project
from deeptracy.vault import Vault, VaultError

log = logging.getLogger(__name__)


# ---- creating -----------------------------------------------------------------------------------


def create_notifications(
    session: Session,
    settings: Settings,
    event: Event,
    project: Project,
    *,
    now: datetime | None = None,
) -> list[Notification]:
    """PENDING notifications of `event` for each channel of `project`, when its policy wants
    the event; nothing is sent here. Call inside the transaction that records the event."""
    policy = stored_policy(project.notify_policy)
    minimum = stored_min_severity(project.notify_min_severity)
    if not wants_notification(policy, minimum, event.kind, event.payload or {}):
        return []
    when = now or utcnow()
    rows = [
        Notification(
            event_id=event.id,
            project_id=project.id,
            channel=channel.type,
            channel_id=channel.id,
            target=channel_label(channel)[:255],
            state=DeliveryState.PENDING,
            attempts=0,
            next_attempt_at=when,
            created_at=when,
        )
        for channel in stored_channels(project)
    ]
    session.add_all(rows)
    session.flush()
    return rows


def notify_event(db: Database, settings: Settings, event_id: int) -> list[int]:
    """Queue the notifications of a recorded event (once: a second call returns the same ids)."""
    with db.session() as session:
        existing = list(
            session.scalars(select(Notification.id).where(Notification.event_id == event_id))
        )
        if existing:
            return existing
        event = session.get(Event, event_id)
        if event is None:
            return []
        project = session.get(Project, event.project_id)
        if project is None:
            return []
        return [n.id for n in create_notifications(session, settings, event, project)]


# ---- sending ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AttemptOutcome:
    notification_id: int
    attempt: int
    state: DeliveryState
    error: str | None
    status: int | None
    next_attempt_at: datetime | None


@dataclass(frozen=True, slots=True)
class DeliverySummary:
    outcomes: tuple[AttemptOutcome, ...] = field(default_factory=tuple)

    @property
    def sent(self) -> int:
        return sum(1 for o in self.outcomes if o.state is DeliveryState.SENT)

    @property
    def failed(self) -> int:
        return sum(1 for o in self.outcomes if o.state is DeliveryState.FAILED)

    @property
    def retrying(self) -> int:
        return sum(1 for o in self.outcomes if o.state is DeliveryState.PENDING)

    def to_dict(self) -> dict[str, int]:
        return {"sent": self.sent, "retrying": self.retrying, "failed": self.failed}


def backoff_delay(settings: Settings, attempt: int, rng: random.Random | None = None) -> float:
    """Seconds before attempt `attempt + 1`: doubling from NOTIFY_BACKOFF_SECONDS, ±20 %."""
    base = settings.notify_backoff_seconds * float(2 ** max(0, attempt - 1))
    jitter: float = (rng or random).uniform(0.8, 1.2)
    return min(settings.notify_max_backoff_seconds, base * jitter)


def retry_delay(settings: Settings, attempt: int, result: DeliveryResult) -> float:
    if result.retry_after is not None:
        return min(settings.notify_max_backoff_seconds, max(0.0, result.retry_after))
    return backoff_delay(settings, attempt)


@dataclass(frozen=True, slots=True)
class _Prepared:
    message: Message | None
    error: str | None  # why it cannot be sent (permanent)
    channel_type: str
    label: str
    sender: Notifier | None = None


def _prepare(
    session: Session, settings: Settings, vault: Vault, row: Notification, client: httpx.Client
) -> _Prepared:
    event = session.get(Event, row.event_id)
    project = session.get(Project, row.project_id)
    if event is None or project is None:
        return _Prepared(None, "the event or its project no longer exists", row.channel, row.target)
    channel = find_channel(project, row.channel_id)
    if channel is None:
        return _Prepared(None, "the channel was removed from the project", row.channel, row.target)
    try:
        opened = open_channel(vault, channel)
    except VaultError as exc:
        return _Prepared(None, str(exc), row.channel, row.target)
    message = build_message(
        event_info(event),
        ProjectRef(project.id, project.name, project.repo),
        settings,
        stored_min_severity(project.notify_min_severity),
    )
    sender = notifier_for(opened, settings, client)
    return _Prepared(message, None, row.channel, row.target, sender)


def deliver_due(
    db: Database,
    settings: Settings,
    *,
    now: datetime | None = None,
    limit: int = 200,
    client: httpx.Client | None = None,
) -> DeliverySummary:
    """Send every due PENDING notification (at most `limit`); never raises."""
    try:
        return _deliver_due(db, settings, now=now, limit=limit, client=client)
    except Exception as exc:  # the database went away, ...: try again next round
        log.error("notification delivery round failed: %s: %s", type(exc).__name__, exc)
        return DeliverySummary()


def _deliver_due(
    db: Database,
    settings: Settings,
    *,
    now: datetime | None,
    limit: int,
    client: httpx.Client | None,
) -> DeliverySummary:
    moment = now or utcnow()
    with db.session() as session:
        due = session.execute(
            select(Notification.id, Notification.attempts)
            .where(
                Notification.state == DeliveryState.PENDING,
                or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= moment),
            )
            .order_by(Notification.next_attempt_at, Notification.id)
            .limit(limit)
        ).all()
    if not due:
        return DeliverySummary()
    vault = Vault.from_settings(settings)
    own_client = client is None
    http_client = client or new_client(settings)
    outcomes: list[AttemptOutcome] = []
    try:
        for notification_id, attempts in due:
            outcome = _attempt(db, settings, vault, http_client, notification_id, attempts, now)
            if outcome is not None:
                outcomes.append(outcome)
    finally:
        if own_client:
            http_client.close()
    return DeliverySummary(tuple(outcomes))


def _attempt(
    db: Database,
    settings: Settings,
    vault: Vault,
    client: httpx.Client,
    notification_id: int,
    attempts: int,
    now: datetime | None,
) -> AttemptOutcome | None:
    attempt = attempts + 1
    lease = timedelta(seconds=settings.notify_timeout * 3 + 30)
    with db.session() as session:
        claimed = session.connection().execute(
            update(Notification)
            .where(
                Notification.id == notification_id,
                Notification.state == DeliveryState.PENDING,
                Notification.attempts == attempts,
            )
            .values(attempts=attempt, next_attempt_at=(now or utcnow()) + lease)
        )
        if claimed.rowcount != 1:
            return None  # another sender took it
        row = session.get(Notification, notification_id)
        assert row is not None
        try:
            prepared = _prepare(session, settings, vault, row, client)
        except Exception as exc:  # a bug must not stop the other deliveries
            prepared = _Prepared(
                None, f"internal error: {type(exc).__name__}", row.channel, row.target
            )
    if prepared.message is not None and prepared.sender is not None:
        try:
            result = prepared.sender.send(prepared.message, delivery_id=str(notification_id))
        except Exception as exc:
            result = DeliveryResult.permanent(f"internal error: {type(exc).__name__}")
    else:
        result = DeliveryResult.permanent(prepared.error or "cannot be sent")
    return _record(db, settings, notification_id, attempt, result, prepared, now)


def _record(
    db: Database,
    settings: Settings,
    notification_id: int,
    attempt: int,
    result: DeliveryResult,
    prepared: _Prepared,
    now: datetime | None,
) -> AttemptOutcome:
    finished = now or utcnow()
    values: dict[str, object] = {"response_status": result.status}
    next_at: datetime | None = None
    error = result.error
    if result.ok:
        state = DeliveryState.SENT
        values.update(state=state, sent_at=finished, next_attempt_at=None, last_error=error)
        log.info(
            "notification %d: %s to %s sent (attempt %d)",
            notification_id,
            prepared.channel_type,
            prepared.label,
            attempt,
        )
    elif result.retry and attempt < settings.notify_max_attempts:
        state = DeliveryState.PENDING
        delay = retry_delay(settings, attempt, result)
        next_at = finished + timedelta(seconds=delay)
        values.update(state=state, next_attempt_at=next_at, last_error=result.error)
        log.warning(
            "notification %d: %s to %s failed (attempt %d of %d), retrying in %.1f s: %s",
            notification_id,
            prepared.channel_type,
            prepared.label,
            attempt,
            settings.notify_max_attempts,
            delay,
            result.error,
        )
    else:
        state = DeliveryState.FAILED
        error = error or "failed"
        if result.retry:
            error = f"{error} (gave up after {attempt} attempts)"
        values.update(state=state, next_attempt_at=None, last_error=error)
        log.warning(
            "notification %d: %s to %s failed for good (attempt %d): %s",
            notification_id,
            prepared.channel_type,
            prepared.label,
            attempt,
            error,
        )
    with db.session() as session:
        session.connection().execute(
            update(Notification)
            .where(
                Notification.id == notification_id,
                Notification.attempts == attempt,
                Notification.state == DeliveryState.PENDING,
            )
            .values(**values)
        )
    return AttemptOutcome(notification_id, attempt, state, error, result.status, next_at)


# ---- the embedded engine's loop -----------------------------------------------------------------


class DeliveryLoop:
    """A daemon thread that runs `deliver_due` every NOTIFY_POLL_INTERVAL seconds, or at once
    after `wake()` (call it when an event was recorded)."""

    def __init__(self, db: Database, settings: Settings, *, interval: float | None = None) -> None:
        self.db = db
        self.settings = settings
        self.interval = interval if interval is not None else settings.notify_poll_interval
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.rounds = 0

    def start(self) -> DeliveryLoop:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="deeptracy-notifications", daemon=True
            )
            self._thread.start()
        return self

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            deliver_due(self.db, self.settings)
            self.rounds += 1
            self._wake.wait(self.interval)
            self._wake.clear()
