"""表6-1: each child's cells of a past report month, kept with a fingerprint of what they were made from

Revision ID: 0019_report_cells
Revises: 0018_aefi
Create Date: 2026-12-07 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019_report_cells"
down_revision = "0018_aefi"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_cells",
        sa.Column("child_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("fp", sa.String(length=32), nullable=False),
        sa.Column("due", sa.Text(), nullable=False),
        sa.Column("given", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("child_id", "month", name=op.f("pk_report_cells")),
    )


def downgrade() -> None:
    op.drop_table("report_cells")
