"""supervision cards, 督办 and 投诉: yellow and red cards a case's stage earned, urgings with their answers,
complaints with theirs; indexes on the cases' received, accepted and decided days for the month's figures

Revision ID: 0010_supervision_cards
Revises: 0009_review_opinions
Create Date: 2026-12-06 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_supervision_cards"
down_revision = "0009_review_opinions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The month's figures (case report, 效能考核) read the cases received, accepted and decided in it.
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index("ix_cases_submitted_on", ["submitted_on"], unique=False)
        batch_op.create_index("ix_cases_accepted_on", ["accepted_on"], unique=False)
        batch_op.create_index("ix_cases_decided_on", ["decided_on"], unique=False)
    op.create_table(
        "supervision_cards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("colour", sa.String(length=8), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("stage_due_on", sa.Date(), nullable=False),
        sa.Column("department", sa.String(length=64), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_supervision_cards_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_cards")),
        sa.UniqueConstraint("case_id", "stage", "stage_due_on", "colour", name="uq_supervision_cards_stage"),
    )
    with op.batch_alter_table("supervision_cards", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_supervision_cards_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_supervision_cards_issued", ["issued_on", "department"], unique=False)
    op.create_table(
        "urgings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=True),
        sa.Column("department", sa.String(length=64), nullable=False),
        sa.Column("instruction", sa.Text(), nullable=False),
        sa.Column("issued_by", sa.String(length=64), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("reply_by", sa.Date(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_by", sa.String(length=64), nullable=True),
        sa.Column("answered_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_urgings_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["card_id"], ["supervision_cards.id"], name=op.f("fk_urgings_card_id_supervision_cards")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_urgings")),
    )
    with op.batch_alter_table("urgings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_urgings_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_urgings_department", ["department", "issued_on"], unique=False)
    op.create_table(
        "complaints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("department", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("complainant", sa.String(length=64), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("registered_by", sa.String(length=64), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("reply_by", sa.Date(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_by", sa.String(length=64), nullable=True),
        sa.Column("answered_on", sa.Date(), nullable=True),
        sa.Column("told_on", sa.Date(), nullable=True),
        sa.Column("told_how", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_complaints_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaints")),
    )
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_complaints_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_complaints_department", ["department", "received_on"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_index("ix_complaints_department")
        batch_op.drop_index(batch_op.f("ix_complaints_case_id"))
    op.drop_table("complaints")
    with op.batch_alter_table("urgings", schema=None) as batch_op:
        batch_op.drop_index("ix_urgings_department")
        batch_op.drop_index(batch_op.f("ix_urgings_case_id"))
    op.drop_table("urgings")
    with op.batch_alter_table("supervision_cards", schema=None) as batch_op:
        batch_op.drop_index("ix_supervision_cards_issued")
        batch_op.drop_index(batch_op.f("ix_supervision_cards_case_id"))
    op.drop_table("supervision_cards")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_decided_on")
        batch_op.drop_index("ix_cases_accepted_on")
        batch_op.drop_index("ix_cases_submitted_on")
