"""the window a case was received at (figures by window)

Revision ID: 0015_case_window
Revises: 0012_site_visits
Create Date: 2026-12-06 21:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_case_window"
down_revision = "0012_site_visits"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("received_window", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("received_window")
