"""the window a case was received at (figures by window); the audit trail indexed by time (the figures'
later stages)

Revision ID: 0015_case_window
Revises: 0014_case_packages
Create Date: 2026-12-06 21:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_case_window"
down_revision = "0014_case_packages"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("received_window", sa.Integer(), nullable=True))
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.create_index("ix_audit_entries_at", ["at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_entries_at")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("received_window")
