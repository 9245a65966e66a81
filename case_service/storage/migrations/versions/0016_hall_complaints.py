"""complaints about the hall itself: their topic, and the optional contact phone (encrypted)

Revision ID: 0016_hall_complaints
Revises: 0015_case_window
Create Date: 2026-12-07 00:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_hall_complaints"
down_revision = "0015_case_window"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.add_column(sa.Column("topic", sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column("contact_phone_enc", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_column("contact_phone_enc")
        batch_op.drop_column("topic")
