"""Dated immunoglobulin / blood-product entries per child (child_immunoglobulin)

Revision ID: 0009_clinical
Revises: 0008_report_state
Create Date: 2026-12-06 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_clinical"
down_revision = "0008_report_state"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "child_immunoglobulin",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("product", sa.String(length=50), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=50), nullable=True),
        sa.ForeignKeyConstraint(
            ["child_id"], ["child.id"], name=op.f("fk_child_immunoglobulin_child_id_child"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_child_immunoglobulin")),
    )
    with op.batch_alter_table("child_immunoglobulin", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_child_immunoglobulin_child_id"), ["child_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("child_immunoglobulin", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_child_immunoglobulin_child_id"))
    op.drop_table("child_immunoglobulin")
