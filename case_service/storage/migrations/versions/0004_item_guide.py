"""the items' guide fields and who made each version; the years whose announcement was entered

Revision ID: 0004_item_guide
Revises: 0003_signin_state
Create Date: 2026-12-06 15:20:00

Versions made before this revision get `made_by` from the audit trail (the actor of the `item.version`
entry that made them); a first version without one was made by the bundled import.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0004_item_guide"
down_revision = "0003_signin_state"
branch_labels = None
depends_on = None

IMPORT_ACTOR = "system:catalogue-import"


def upgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("guide", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("made_by", sa.String(length=128), nullable=False, server_default=""))
    op.create_table(
        "calendar_years",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("announcement", sa.Text(), nullable=False),
        sa.Column("entered_by", sa.String(length=128), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_calendar_years")),
    )
    _fill_made_by()


def _fill_made_by() -> None:
    bind = op.get_bind()
    makers: dict[tuple[str, int], str] = {}
    entries = bind.execute(
        sa.text("SELECT subject_id, actor, after FROM audit_entries WHERE action = 'item.version'")
    )
    for code, actor, stored in entries:
        after = json.loads(stored) if isinstance(stored, str) else stored
        if isinstance(after, dict) and "version" in after:
            makers[(code, int(after["version"]))] = actor
    items = sa.table("items", sa.column("id", sa.Integer), sa.column("made_by", sa.String))
    for row_id, code, version in bind.execute(sa.text("SELECT id, code, version FROM items")).all():
        maker = makers.get((code, version), IMPORT_ACTOR if version == 1 else "")
        bind.execute(sa.update(items).where(items.c.id == row_id).values(made_by=maker))


def downgrade() -> None:
    op.drop_table("calendar_years")
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_column("made_by")
        batch_op.drop_column("guide")
