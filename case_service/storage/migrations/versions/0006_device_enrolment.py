"""device enrolment: a one-time enrolment code per registered device

Revision ID: 0006_device_enrolment
Revises: 0005_http_security
Create Date: 2026-12-06 15:00:00

Device secrets are now Mosquitto `$7$` hashes set by enrolment: devices registered before this revision
(argon2 hashes of an admin-chosen secret) no longer verify and must be re-enrolled (rotate them).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_device_enrolment"
down_revision = "0005_http_security"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("enrolment_digest", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("enrolment_expires_ms", sa.BigInteger(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_column("enrolment_expires_ms")
        batch_op.drop_column("enrolment_digest")
