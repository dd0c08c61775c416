"""Events: a dedupe key; notifications: the channel id; indexes monitoring joins through

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dedupe_key", sa.String(length=200), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_event_dedupe_key"), ["dedupe_key"])
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channel_id", sa.String(length=32), nullable=True))
    with op.batch_alter_table("scan", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scan_inventory_id"), ["inventory_id"], unique=False)
    with op.batch_alter_table("branch", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_branch_latest_scan_id"), ["latest_scan_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("branch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_branch_latest_scan_id"))
    with op.batch_alter_table("scan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scan_inventory_id"))
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_column("channel_id")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_event_dedupe_key"), type_="unique")
        batch_op.drop_column("dedupe_key")
