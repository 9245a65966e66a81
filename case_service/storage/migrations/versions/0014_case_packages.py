"""“一件事一次办” packages: an application for several items, its linked cases

Revision ID: 0014_case_packages
Revises: 0013_supervision_feed
Create Date: 2026-12-06 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_case_packages"
down_revision = "0013_supervision_feed"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_packages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("package_code", sa.String(length=16), nullable=False),
        sa.Column("package_name", sa.String(length=64), nullable=False),
        sa.Column("lead_department", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("applicant_name", sa.String(length=64), nullable=False),
        sa.Column("applicant_index", sa.String(length=32), nullable=False),
        sa.Column("materials", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_by", sa.String(length=64), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_packages")),
        sa.UniqueConstraint("number", name=op.f("uq_case_packages_number")),
    )
    with op.batch_alter_table("case_packages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_packages_package_code"), ["package_code"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_case_packages_applicant_index"), ["applicant_index"], unique=False
        )
    op.create_table(
        "case_package_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("package_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["package_id"],
            ["case_packages.id"],
            name=op.f("fk_case_package_members_package_id_case_packages"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_package_members_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_package_members")),
        sa.UniqueConstraint("case_id", name="uq_case_package_members_case"),
    )
    with op.batch_alter_table("case_package_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_package_members_package_id"), ["package_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("case_package_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_package_members_package_id"))
    op.drop_table("case_package_members")
    with op.batch_alter_table("case_packages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_packages_applicant_index"))
        batch_op.drop_index(batch_op.f("ix_case_packages_package_code"))
    op.drop_table("case_packages")
