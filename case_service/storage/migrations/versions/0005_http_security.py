"""revoked tokens (sign-out) and per-principal token cut-offs (an administrator's revocation)

Revision ID: 0005_http_security
Revises: 0003_signin_state
Create Date: 2026-12-06 15:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_http_security"
down_revision = "0004_item_guide"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "revoked_tokens",
        sa.Column("jti", sa.String(length=32), nullable=False),
        sa.Column("expires_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("jti", name=op.f("pk_revoked_tokens")),
    )
    with op.batch_alter_table("revoked_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_revoked_tokens_expires_ms"), ["expires_ms"], unique=False)
    op.create_table(
        "token_cutoffs",
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("not_before_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("subject", name=op.f("pk_token_cutoffs")),
    )


def downgrade() -> None:
    op.drop_table("token_cutoffs")
    with op.batch_alter_table("revoked_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_revoked_tokens_expires_ms"))
    op.drop_table("revoked_tokens")
