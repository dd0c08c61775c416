"""Dashboard users, their sessions, and triage decisions on findings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from deeptracy.store.base import Base, UTCDateTime, utcnow
from deeptracy.store.enums import TriageState
from deeptracy.store.models.service import BigId


class User(Base):
    __tablename__ = "app_user"  # "user" is reserved in PostgreSQL

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))  # argon2id
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebSession(Base):
    """A signed-in browser. Only the SHA-256 of the cookie value is stored, so a leaked
    database does not hand out sessions; logout deletes the row."""

    __tablename__ = "web_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the cookie
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="CASCADE"), index=True
    )
    token_id: Mapped[int | None] = mapped_column(  # signed in with an API token instead
        ForeignKey("api_token.id", ondelete="CASCADE")
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Triage(Base):
    """A decision on an advisory for a package of a project, kept across scans (and versions:
    a justification such as "the vulnerable function is never called" outlives upgrades)."""

    __tablename__ = "triage"
    __table_args__ = (
        UniqueConstraint("project_id", "advisory_id", "ecosystem", "normalized_name"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    advisory_id: Mapped[str] = mapped_column(String(128))
    ecosystem: Mapped[str] = mapped_column(String(64))
    normalized_name: Mapped[str] = mapped_column(String(512))
    state: Mapped[TriageState] = mapped_column(String(24))
    comment: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
