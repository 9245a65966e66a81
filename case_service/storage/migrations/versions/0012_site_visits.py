"""site visits (现场核查): schedule, inspectors, findings, photos, conclusion

Revision ID: 0012_site_visits
Revises: 0011_item_files
Create Date: 2026-12-06 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_site_visits"
down_revision = "0011_item_files"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_site_visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("visit_on", sa.Date(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("inspectors", sa.JSON(), nullable=False),
        sa.Column("scheduled_by", sa.String(length=64), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("photos", sa.JSON(), nullable=False),
        sa.Column("conclusion", sa.String(length=16), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_site_visits_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_site_visits")),
    )
    with op.batch_alter_table("case_site_visits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_site_visits_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("case_site_visits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_site_visits_case_id"))
    op.drop_table("case_site_visits")
