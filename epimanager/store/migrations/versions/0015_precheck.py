"""预检: a child's health check of the day and the 暂缓 / 禁忌 per vaccine it left

Revision ID: 0015_precheck
Revises: 0014_visit_order
Create Date: 2026-12-07 01:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_precheck"
down_revision = "0014_visit_order"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "precheck",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("temperature", sa.Float(), nullable=False),
        sa.Column("answers", sa.Text(), nullable=False),
        sa.Column("question_version", sa.String(length=20), nullable=False),
        sa.Column("operator", sa.String(length=50), nullable=True),
        sa.Column("desk", sa.String(length=40), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["child_id"], ["child.id"], name=op.f("fk_precheck_child_id_child"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["visit_id"], ["visit.id"], name=op.f("fk_precheck_visit_id_visit"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_precheck")),
        sa.UniqueConstraint("child_id", "day", name="uq_precheck_child_day"),
    )
    with op.batch_alter_table("precheck", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_precheck_visit_id"), ["visit_id"], unique=False)
    op.create_table(
        "child_deferral",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("precheck_id", sa.Integer(), nullable=True),
        sa.Column("vaccine_code", sa.String(length=4), nullable=False),
        sa.Column("kind", sa.String(length=4), nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("reason", sa.String(length=400), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=50), nullable=True),
        sa.Column("lifted_at", sa.DateTime(), nullable=True),
        sa.Column("lifted_by", sa.String(length=50), nullable=True),
        sa.Column("lift_reason", sa.String(length=200), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"], ["child.id"], name=op.f("fk_child_deferral_child_id_child"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["precheck_id"], ["precheck.id"], name=op.f("fk_child_deferral_precheck_id_precheck"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_child_deferral")),
    )
    with op.batch_alter_table("child_deferral", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_child_deferral_child_id"), ["child_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_child_deferral_precheck_id"), ["precheck_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("child_deferral", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_child_deferral_precheck_id"))
        batch_op.drop_index(batch_op.f("ix_child_deferral_child_id"))
    op.drop_table("child_deferral")
    with op.batch_alter_table("precheck", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_precheck_visit_id"))
    op.drop_table("precheck")
