"""Advisories: OSV records, affected packages, sources, sync cursors and run deltas.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from deeptracy.store.base import JSONDoc, UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "advisory_sources",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("location", sa.String(), nullable=False),
        sa.Column("ecosystems", JSONDoc, nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_advisory_sources")),
        sa.UniqueConstraint("location", name=op.f("uq_advisory_sources_location")),
    )
    op.create_table(
        "advisories",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("modified", UTCDateTime(), nullable=False),
        sa.Column("published", UTCDateTime(), nullable=True),
        sa.Column("withdrawn", UTCDateTime(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("aliases", JSONDoc, nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("vector", sa.String(length=512), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("imported_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["advisory_sources.id"],
            name=op.f("fk_advisories_source_id_advisory_sources"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_advisories")),
    )
    op.create_index(op.f("ix_advisories_modified"), "advisories", ["modified"])
    op.create_table(
        "advisory_cursors",
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("ecosystem", sa.String(length=128), nullable=False),
        sa.Column("synced_at", UTCDateTime(), nullable=False),
        sa.Column("newest_modified", UTCDateTime(), nullable=True),
        sa.Column("listed", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["advisory_sources.id"],
            name=op.f("fk_advisory_cursors_source_id_advisory_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("source_id", "ecosystem", name=op.f("pk_advisory_cursors")),
    )
    op.create_table(
        "advisory_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("new_count", sa.Integer(), nullable=False),
        sa.Column("modified_count", sa.Integer(), nullable=False),
        sa.Column("withdrawn_count", sa.Integer(), nullable=False),
        sa.Column("unchanged_count", sa.Integer(), nullable=False),
        sa.Column("skipped_count", sa.Integer(), nullable=False),
        sa.Column("problems", JSONDoc, nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["advisory_sources.id"],
            name=op.f("fk_advisory_runs_source_id_advisory_sources"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_advisory_runs")),
    )
    op.create_table(
        "advisory_packages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("advisory_id", sa.String(length=255), nullable=False),
        sa.Column("ecosystem", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("package", sa.String(), nullable=False),
        sa.Column("affected", sa.Text(), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("vector", sa.String(length=512), nullable=True),
        sa.ForeignKeyConstraint(
            ["advisory_id"],
            ["advisories.id"],
            name=op.f("fk_advisory_packages_advisory_id_advisories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_advisory_packages")),
    )
    op.create_index(op.f("ix_advisory_packages_advisory_id"), "advisory_packages", ["advisory_id"])
    op.create_index("ix_advisory_packages_key", "advisory_packages", ["ecosystem", "name"])
    op.create_table(
        "advisory_changes",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("advisory_id", sa.String(length=255), nullable=False),
        sa.Column("change", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["advisory_runs.id"],
            name=op.f("fk_advisory_changes_run_id_advisory_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", "advisory_id", name=op.f("pk_advisory_changes")),
    )
    op.create_index(op.f("ix_advisory_changes_advisory_id"), "advisory_changes", ["advisory_id"])
    op.create_table(
        "advisory_change_packages",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("advisory_id", sa.String(length=255), nullable=False),
        sa.Column("ecosystem", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["advisory_runs.id"],
            name=op.f("fk_advisory_change_packages_run_id_advisory_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "run_id", "advisory_id", "ecosystem", "name", name=op.f("pk_advisory_change_packages")
        ),
    )
    op.create_index(
        "ix_advisory_change_packages_key", "advisory_change_packages", ["ecosystem", "name"]
    )


def downgrade() -> None:
    op.drop_table("advisory_change_packages")
    op.drop_table("advisory_changes")
    op.drop_table("advisory_packages")
    op.drop_table("advisory_runs")
    op.drop_table("advisory_cursors")
    op.drop_table("advisories")
    op.drop_table("advisory_sources")
