"""Advisory tables: OSV records, their affected packages, sources, sync cursors and run deltas.

The matcher never re-reads whole records: `advisory_packages` holds one compact row per
affected package (ranges and versions as small JSON), keyed by (ecosystem, normalized name),
so the in-memory index loads with one query.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from deeptracy.store.base import Base, JSONDoc, UTCDateTime


class AdvisorySource(Base):
    """A remembered place advisories come from: a directory, a zip file or an export bucket."""

    __tablename__ = "advisory_sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))  # directory | zip | bucket
    location: Mapped[str] = mapped_column(String, unique=True)
    # For a bucket: the ecosystems to follow (None: every ecosystem the bucket lists).
    ecosystems: Mapped[list[str] | None] = mapped_column(JSONDoc, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AdvisoryCursor(Base):
    """Where the last sync of one ecosystem of a bucket source stopped."""

    __tablename__ = "advisory_cursors"

    source_id: Mapped[int] = mapped_column(
        ForeignKey("advisory_sources.id", ondelete="CASCADE"), primary_key=True
    )
    ecosystem: Mapped[str] = mapped_column(String(128), primary_key=True)
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime)
    newest_modified: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    listed: Mapped[int] = mapped_column(Integer, default=0)  # rows of modified_id.csv
    mode: Mapped[str] = mapped_column(String(16))  # full | incremental


class AdvisoryRun(Base):
    """One import or sync, committed together with the records it changed."""

    __tablename__ = "advisory_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source_id: Mapped[int | None] = mapped_column(
        ForeignKey("advisory_sources.id", ondelete="SET NULL"), nullable=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # import | sync
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    new_count: Mapped[int] = mapped_column(Integer, default=0)
    modified_count: Mapped[int] = mapped_column(Integer, default=0)
    withdrawn_count: Mapped[int] = mapped_column(Integer, default=0)
    unchanged_count: Mapped[int] = mapped_column(Integer, default=0)
    skipped_count: Mapped[int] = mapped_column(Integer, default=0)
    # [{"where": ..., "id": ..., "message": ...}] for skipped input, capped in size.
    problems: Mapped[list[dict[str, str | None]]] = mapped_column(JSONDoc)


class Advisory(Base):
    """One OSV record, kept verbatim (canonical JSON) for /v1/vulns, plus what lists need."""

    __tablename__ = "advisories"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    modified: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    published: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    withdrawn: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    summary: Mapped[str] = mapped_column(Text, default="")
    aliases: Mapped[list[str]] = mapped_column(JSONDoc)
    severity: Mapped[str] = mapped_column(String(16))
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    vector: Mapped[str | None] = mapped_column(String(512), nullable=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    record: Mapped[str] = mapped_column(Text)
    source_id: Mapped[int | None] = mapped_column(
        ForeignKey("advisory_sources.id", ondelete="SET NULL"), nullable=True
    )
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AdvisoryPackage(Base):
    """One affected package of a record, precompiled for the index."""

    __tablename__ = "advisory_packages"
    __table_args__ = (Index("ix_advisory_packages_key", "ecosystem", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    advisory_id: Mapped[str] = mapped_column(
        ForeignKey("advisories.id", ondelete="CASCADE"), index=True
    )
    ecosystem: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String)  # normalize_name(ecosystem, package)
    package: Mapped[str] = mapped_column(String)  # the name as the record writes it
    affected: Mapped[str] = mapped_column(Text)  # compact JSON: versions and ranges
    severity: Mapped[str] = mapped_column(String(16))
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    vector: Mapped[str | None] = mapped_column(String(512), nullable=True)


class AdvisoryChange(Base):
    """A record that a run added, modified or withdrew: the delta monitoring reads."""

    __tablename__ = "advisory_changes"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("advisory_runs.id", ondelete="CASCADE"), primary_key=True
    )
    advisory_id: Mapped[str] = mapped_column(String(255), primary_key=True, index=True)
    change: Mapped[str] = mapped_column(String(16))  # new | modified | withdrawn


class AdvisoryChangePackage(Base):
    """A package a run's change touches (before or after the change), by normalized name."""

    __tablename__ = "advisory_change_packages"
    __table_args__ = (Index("ix_advisory_change_packages_key", "ecosystem", "name"),)

    run_id: Mapped[int] = mapped_column(
        ForeignKey("advisory_runs.id", ondelete="CASCADE"), primary_key=True
    )
    advisory_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    ecosystem: Mapped[str] = mapped_column(String(128), primary_key=True)
    name: Mapped[str] = mapped_column(String, primary_key=True)
