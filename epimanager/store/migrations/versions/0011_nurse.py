"""A user's real name (app_user.display_name), and report_done: a month's report handed in

Revision ID: 0011_nurse
Revises: 0010_syringes
Create Date: 2026-12-06 19:30:00

``report_done`` records that a month's report was exported, printed or explicitly marked done
(F7 工作提醒 asks for a month until then; generating or previewing alone does not count).
app_user is altered in place (ADD COLUMN), never re-created.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_nurse"
down_revision = "0010_syringes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("app_user", sa.Column("display_name", sa.String(length=50), nullable=True))
    op.create_table(
        "report_done",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("how", sa.String(length=10), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("done_by", sa.String(length=50), nullable=True),
        sa.Column("target", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_done")),
    )
    with op.batch_alter_table("report_done", schema=None) as batch_op:
        batch_op.create_index("ix_report_done_kind_period", ["kind", "period"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("report_done", schema=None) as batch_op:
        batch_op.drop_index("ix_report_done_kind_period")
    op.drop_table("report_done")
    op.drop_column("app_user", "display_name")
