"""Projects, branches, scans, their inventories, analyses and findings, and API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import uuid4

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from deeptracy.store.base import Base, JSONDoc, UTCDateTime, utcnow
from deeptracy.store.enums import (
    AnalysisState,
    FindingOrigin,
    RepoAuthType,
    ScanState,
    TokenScope,
)

# SQLite wants INTEGER PRIMARY KEY for its rowid alias; PostgreSQL gets a BIGINT identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def new_id() -> str:
    return str(uuid4())


class Project(Base):
    __tablename__ = "project"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), index=True)
    repo: Mapped[str] = mapped_column(Text)  # as the user gave it (validated)
    repo_key: Mapped[str] = mapped_column(String(512), unique=True)  # normalized identity
    default_branch: Mapped[str | None] = mapped_column(String(255))
    auth_type: Mapped[RepoAuthType] = mapped_column(String(24), default=RepoAuthType.PUBLIC)
    credentials: Mapped[str | None] = mapped_column(Text)  # Vault-encrypted JSON; never returned
    webhook_secret: Mapped[str | None] = mapped_column(Text)  # Vault-encrypted
    branch_filter: Mapped[str | None] = mapped_column(Text)  # globs of branches webhooks scan
    monitored: Mapped[bool] = mapped_column(Boolean, default=True)
    # Notification settings (channels hold Vault-encrypted targets where they are secrets).
    notify_policy: Mapped[str] = mapped_column(String(16), default="new")
    notify_min_severity: Mapped[str] = mapped_column(String(16), default="LOW")
    channels: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    branches: Mapped[list[Branch]] = relationship(
        back_populates="project", cascade="all, delete-orphan", passive_deletes=True
    )


class Branch(Base):
    """A branch of a project that has been scanned; `latest_scan_id` is its current state,
    the one monitoring re-checks when advisories change."""

    __tablename__ = "branch"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    # Indexed: monitoring joins scans to branches through it, and deleting a scan looks it up.
    latest_scan_id: Mapped[str | None] = mapped_column(
        ForeignKey("scan.id", ondelete="SET NULL"), index=True
    )
    last_scan_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    project: Mapped[Project] = relationship(back_populates="branches")


class Inventory(Base):
    """The dependency set read by a scan; scans of unchanged dependencies share one."""

    __tablename__ = "inventory"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    package_count: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InventoryPackage(Base):
    __tablename__ = "inventory_package"
    __table_args__ = (
        # Monitoring: which inventories hold a package an advisory names?
        Index("ix_inventory_package_lookup", "ecosystem", "normalized_name", "inventory_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    inventory_id: Mapped[int] = mapped_column(
        ForeignKey("inventory.id", ondelete="CASCADE"), index=True
    )
    ecosystem: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(512))
    normalized_name: Mapped[str] = mapped_column(String(512))
    version: Mapped[str | None] = mapped_column(String(255))
    declared: Mapped[str | None] = mapped_column(String(1024))
    purl: Mapped[str | None] = mapped_column(Text)
    direct: Mapped[bool | None] = mapped_column(Boolean)
    scope: Mapped[str | None] = mapped_column(String(16))
    locations: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, default=list)
    note: Mapped[str | None] = mapped_column(Text)


class Scan(Base):
    __tablename__ = "scan"
    __table_args__ = (
        Index("ix_scan_project_branch_created", "project_id", "branch", "created_at"),
        Index("ix_scan_state_created", "state", "created_at"),
        UniqueConstraint("project_id", "delivery_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    # None until the worker resolves the remote's default branch.
    branch: Mapped[str | None] = mapped_column(String(255))
    commit_sha: Mapped[str | None] = mapped_column(String(64))
    trigger: Mapped[str] = mapped_column(String(16))
    state: Mapped[ScanState] = mapped_column(String(32), default=ScanState.PENDING)
    stage: Mapped[str | None] = mapped_column(String(16))
    failure_reason: Mapped[str | None] = mapped_column(String(32))
    failure_detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str | None] = mapped_column(String(255))
    # Indexed: monitoring goes from an inventory that holds a package to the scans that read it.
    inventory_id: Mapped[int | None] = mapped_column(ForeignKey("inventory.id"), index=True)
    previous_scan_id: Mapped[str | None] = mapped_column(ForeignKey("scan.id", ondelete="SET NULL"))
    total_packages: Mapped[int | None] = mapped_column(Integer)
    total_vulnerabilities: Mapped[int | None] = mapped_column(Integer)
    severity_counts: Mapped[dict[str, int] | None] = mapped_column(JSONDoc)
    delivery_id: Mapped[str | None] = mapped_column(String(128))  # webhook delivery, deduped
    # When the scan last became PENDING or had its task sent (the Celery reaper re-sends).
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Seconds per stage: {"clone": .., "inventory": .., "analyze": .., "store": .., "total": ..}
    timings: Mapped[dict[str, float] | None] = mapped_column(JSONDoc)
    # What the repository's .deeptracy.yml asked: {"fail_on": .., "expired_rules": [...]}
    repo_config: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    requested_by: Mapped[str | None] = mapped_column(String(100))

    analyses: Mapped[list[Analysis]] = relationship(
        back_populates="scan", cascade="all, delete-orphan", passive_deletes=True
    )


class _FindingColumns:
    """What a finding stores: the advisory, the package it affects and how it matched."""

    advisory_id: Mapped[str] = mapped_column(String(128))
    aliases: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    summary: Mapped[str] = mapped_column(Text, default="")
    severity: Mapped[str] = mapped_column(String(16))
    score: Mapped[float | None] = mapped_column(Float)
    vector: Mapped[str | None] = mapped_column(Text)
    fixed: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    matched_range: Mapped[str] = mapped_column(Text, default="")
    exact: Mapped[bool] = mapped_column(Boolean, default=True)
    admits_unaffected: Mapped[bool | None] = mapped_column(Boolean)
    ecosystem: Mapped[str] = mapped_column(String(64))
    package_name: Mapped[str] = mapped_column(String(512))
    normalized_name: Mapped[str] = mapped_column(String(512))
    version: Mapped[str | None] = mapped_column(String(255))
    declared: Mapped[str | None] = mapped_column(String(1024))
    purl: Mapped[str | None] = mapped_column(Text)
    direct: Mapped[bool | None] = mapped_column(Boolean)
    scope: Mapped[str | None] = mapped_column(String(16))
    locations: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, default=list)


class Analysis(Base):
    """One analyzer's run within a scan; it fails alone, the others go on."""

    __tablename__ = "analysis"
    __table_args__ = (UniqueConstraint("scan_id", "analyzer"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    scan_id: Mapped[str] = mapped_column(ForeignKey("scan.id", ondelete="CASCADE"), index=True)
    analyzer: Mapped[str] = mapped_column(String(100))
    state: Mapped[AnalysisState] = mapped_column(String(16), default=AnalysisState.PENDING)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)
    # What the analyzer could not check (invalid versions...), without failing.
    warnings: Mapped[list[str] | None] = mapped_column(JSONDoc)
    findings_count: Mapped[int] = mapped_column(Integer, default=0)

    scan: Mapped[Scan] = relationship(back_populates="analyses")


class AnalysisFinding(_FindingColumns, Base):
    """A finding as one analyzer reported it, before the merge."""

    __tablename__ = "analysis_finding"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    analysis_id: Mapped[int] = mapped_column(
        ForeignKey("analysis.id", ondelete="CASCADE"), index=True
    )


class Finding(_FindingColumns, Base):
    """A merged finding of a scan: one per vulnerability (all its aliases) and package.

    The latest successful scan of a branch carries the branch's current findings: monitoring
    adds findings to it (origin MONITOR) and closes those whose advisory was withdrawn or no
    longer covers the version.
    """

    __tablename__ = "finding"
    __table_args__ = (Index("ix_finding_scan_severity", "scan_id", "severity"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    scan_id: Mapped[str] = mapped_column(ForeignKey("scan.id", ondelete="CASCADE"))
    analyzers: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    origin: Mapped[str] = mapped_column(String(16), default=FindingOrigin.SCAN)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    found_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_reason: Mapped[str | None] = mapped_column(Text)
    # Set when a .deeptracy.yml rule (or a triage decision) suppresses it: state, reason...
    suppression: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)


class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored (tokens are 256-bit random, so a slow hash
    adds nothing), with a short prefix to recognise it in listings."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    scope: Mapped[TokenScope] = mapped_column(String(8))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
