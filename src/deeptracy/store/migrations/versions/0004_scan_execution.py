"""Scan execution: queue time, stage timings and repository config of scans; analysis warnings

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import deeptracy.store.base

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.add_column(
        "scan",
        sa.Column("queued_at", deeptracy.store.base.UTCDateTime(timezone=True), nullable=True),
    )
    op.add_column("scan", sa.Column("timings", _json(), nullable=True))
    op.add_column("scan", sa.Column("repo_config", _json(), nullable=True))
    op.add_column("analysis", sa.Column("warnings", _json(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("analysis") as batch:
        batch.drop_column("warnings")
    with op.batch_alter_table("scan") as batch:
        batch.drop_column("repo_config")
        batch.drop_column("timings")
        batch.drop_column("queued_at")
