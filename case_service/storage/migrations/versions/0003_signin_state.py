"""sign-in codes, send limits and used e-ID codes in the database; the sweep's lease

Revision ID: 0003_signin_state
Revises: 0002_certificates
Create Date: 2026-11-22 00:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_signin_state"
down_revision = "0002_certificates"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signin_throttles",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("sent_ms", sa.JSON(), nullable=False),
        sa.Column("code_digest", sa.String(length=64), nullable=True),
        sa.Column("code_expires_ms", sa.BigInteger(), nullable=False),
        sa.Column("attempts_left", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("forget_after_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_signin_throttles")),
    )
    with op.batch_alter_table("signin_throttles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_signin_throttles_forget_after_ms"), ["forget_after_ms"], unique=False
        )

    op.create_table(
        "signin_used_eids",
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("expires_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("nonce", name=op.f("pk_signin_used_eids")),
    )
    with op.batch_alter_table("signin_used_eids", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_signin_used_eids_expires_ms"), ["expires_ms"], unique=False)

    leases = op.create_table(
        "service_leases",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=128), nullable=False),
        sa.Column("until_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_service_leases")),
    )
    op.bulk_insert(leases, [{"name": "deadline-sweep", "holder": "", "until_ms": 0}])


def downgrade() -> None:
    op.drop_table("service_leases")
    with op.batch_alter_table("signin_used_eids", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signin_used_eids_expires_ms"))
    op.drop_table("signin_used_eids")
    with op.batch_alter_table("signin_throttles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signin_throttles_forget_after_ms"))
    op.drop_table("signin_throttles")
