"""The county's recall/lock list of vaccine batches (召回/封存批号)

Revision ID: 0017_recall
Revises: 0016_consent
Create Date: 2026-12-07 01:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_recall"
down_revision = "0016_consent"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "batch_recall",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("batch_no", sa.String(length=40), nullable=False),
        sa.Column("vaccine_code", sa.String(length=4), nullable=True),
        sa.Column("manufacturer", sa.String(length=100), nullable=True),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.String(length=50), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("source_key", sa.String(length=80), nullable=True),
        sa.Column("lifted_at", sa.DateTime(), nullable=True),
        sa.Column("lifted_by", sa.String(length=50), nullable=True),
        sa.Column("lift_reason", sa.String(length=200), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batch_recall")),
        sa.UniqueConstraint("uuid", name=op.f("uq_batch_recall_uuid")),
        sa.UniqueConstraint("source_key", name="uq_batch_recall_source_key"),
    )
    with op.batch_alter_table("batch_recall", schema=None) as batch_op:
        batch_op.create_index("ix_batch_recall_batch_no", ["batch_no"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("batch_recall", schema=None) as batch_op:
        batch_op.drop_index("ix_batch_recall_batch_no")
    op.drop_table("batch_recall")
