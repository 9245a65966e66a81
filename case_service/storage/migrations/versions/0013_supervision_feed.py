"""审管分离's feed: the outbox of approval results for the supervising departments

Revision ID: 0013_supervision_feed
Revises: 0012_site_visits
Create Date: 2026-12-06 21:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_supervision_feed"
down_revision = "0012_site_visits"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "supervision_feed",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("department", sa.String(length=64), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_supervision_feed_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_feed")),
        sa.UniqueConstraint("event_id", name=op.f("uq_supervision_feed_event_id")),
    )
    with op.batch_alter_table("supervision_feed", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_supervision_feed_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            "ix_supervision_feed_pending", ["delivered_at", "next_attempt_at"], unique=False
        )
        batch_op.create_index("ix_supervision_feed_created", ["created_at", "department"], unique=False)
    leases = sa.table("service_leases", sa.column("name"), sa.column("holder"), sa.column("until_ms"))
    op.bulk_insert(leases, [{"name": "supervision-feed", "holder": "", "until_ms": 0}])


def downgrade() -> None:
    op.execute("DELETE FROM service_leases WHERE name = 'supervision-feed'")
    with op.batch_alter_table("supervision_feed", schema=None) as batch_op:
        batch_op.drop_index("ix_supervision_feed_created")
        batch_op.drop_index("ix_supervision_feed_pending")
        batch_op.drop_index(batch_op.f("ix_supervision_feed_case_id"))
    op.drop_table("supervision_feed")
