"""Today's order of a visit (登记): vaccines, dose numbers and planned sites

Revision ID: 0014_visit_order
Revises: 0013_visits
Create Date: 2026-12-06 23:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_visit_order"
down_revision = "0013_visits"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "visit_order",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("set_at", sa.DateTime(), nullable=False),
        sa.Column("operator", sa.String(length=50), nullable=True),
        sa.Column("desk", sa.String(length=40), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visit.id"], name=op.f("fk_visit_order_visit_id_visit"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_order")),
        sa.UniqueConstraint("visit_id", name=op.f("uq_visit_order_visit_id")),
    )
    op.create_table(
        "visit_order_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("vaccine_code", sa.String(length=4), nullable=False),
        sa.Column("dose_number", sa.Integer(), nullable=False),
        sa.Column("site", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"], ["visit_order.id"], name=op.f("fk_visit_order_item_order_id_visit_order"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_order_item")),
        sa.UniqueConstraint("order_id", "vaccine_code", name="uq_visit_order_item_order_vaccine"),
    )
    with op.batch_alter_table("visit_order_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visit_order_item_order_id"), ["order_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("visit_order_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visit_order_item_order_id"))
    op.drop_table("visit_order_item")
    op.drop_table("visit_order")
