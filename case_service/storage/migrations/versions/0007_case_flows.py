"""a case's flow (by the item's kind), its tolerated materials owed and its forwarding to a higher authority

Revision ID: 0007_case_flows
Revises: 0006_device_enrolment
Create Date: 2026-12-06 16:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_case_flows"
down_revision = "0006_device_enrolment"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("flow", sa.String(length=32), server_default="licence", nullable=False))
        batch_op.add_column(sa.Column("owed_materials", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("forwarding", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("forwarding")
        batch_op.drop_column("owed_materials")
        batch_op.drop_column("flow")
