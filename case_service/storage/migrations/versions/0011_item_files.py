"""item files: the blank forms, filled samples and result samples an administrator uploads for an item

Revision ID: 0011_item_files
Revises: 0010_supervision_cards
Create Date: 2026-12-06 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_item_files"
down_revision = "0010_supervision_cards"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "item_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=128), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=128), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["sha256"], ["material_blobs.sha256"], name=op.f("fk_item_files_sha256_material_blobs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_files")),
        sa.UniqueConstraint("code", "name", name="uq_item_files_code_name"),
    )
    with op.batch_alter_table("item_files", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_item_files_code"), ["code"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("item_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_files_code"))
    op.drop_table("item_files")
