"""AEFI case cards (疑似预防接种异常反应个案) and their follow-up entries

Revision ID: 0018_aefi
Revises: 0017_recall
Create Date: 2026-12-07 01:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_aefi"
down_revision = "0017_recall"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "aefi_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("dose_id", sa.Integer(), nullable=True),
        sa.Column("dose_uuid", sa.String(length=36), nullable=True),
        sa.Column("vaccine_code", sa.String(length=4), nullable=False),
        sa.Column("batch_no", sa.String(length=40), nullable=True),
        sa.Column("manufacturer", sa.String(length=100), nullable=True),
        sa.Column("dose_number", sa.Integer(), nullable=False),
        sa.Column("dose_date", sa.Date(), nullable=False),
        sa.Column("dose_time", sa.DateTime(), nullable=True),
        sa.Column("onset_at", sa.DateTime(), nullable=False),
        sa.Column("discovered_at", sa.DateTime(), nullable=False),
        sa.Column("symptoms", sa.String(length=200), nullable=False),
        sa.Column("symptom_list_version", sa.String(length=20), nullable=True),
        sa.Column("symptom_text", sa.Text(), nullable=True),
        sa.Column("severity", sa.String(length=4), nullable=False),
        sa.Column("group_event", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=True),
        sa.Column("diagnosis", sa.String(length=200), nullable=True),
        sa.Column("reporter", sa.String(length=50), nullable=True),
        sa.Column("report_deadline", sa.DateTime(), nullable=False),
        sa.Column("reported_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=50), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"], ["child.id"], name=op.f("fk_aefi_case_child_id_child"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["dose_id"], ["dose.id"], name=op.f("fk_aefi_case_dose_id_dose"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aefi_case")),
        sa.UniqueConstraint("uuid", name=op.f("uq_aefi_case_uuid")),
    )
    with op.batch_alter_table("aefi_case", schema=None) as batch_op:
        batch_op.create_index("ix_aefi_case_child_id", ["child_id"], unique=False)
        batch_op.create_index("ix_aefi_case_batch", ["vaccine_code", "batch_no"], unique=False)
        batch_op.create_index("ix_aefi_case_reported_deadline", ["reported_at", "report_deadline"], unique=False)
    op.create_table(
        "aefi_follow_up",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=50), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["aefi_case.id"], name=op.f("fk_aefi_follow_up_case_id_aefi_case"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aefi_follow_up")),
    )
    with op.batch_alter_table("aefi_follow_up", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_aefi_follow_up_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("aefi_follow_up", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_aefi_follow_up_case_id"))
    op.drop_table("aefi_follow_up")
    with op.batch_alter_table("aefi_case", schema=None) as batch_op:
        batch_op.drop_index("ix_aefi_case_reported_deadline")
        batch_op.drop_index("ix_aefi_case_batch")
        batch_op.drop_index("ix_aefi_case_child_id")
    op.drop_table("aefi_case")
