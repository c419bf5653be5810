"""Syringes in stock: stock_product.kind, and stock_syringe_shortage

Revision ID: 0010_syringes
Revises: 0009_clinical
Create Date: 2026-12-06 18:30:00

stock_product is altered in place (ALTER TABLE ADD/DROP COLUMN), never re-created:
stock_batch rows refer to it and stock_product_code rows cascade from it, so a batch
copy-and-drop would fail on, or delete, a clinic's stock.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_syringes"
down_revision = "0009_clinical"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("stock_product", sa.Column("kind", sa.String(length=8), server_default="vaccine", nullable=False))
    op.create_table(
        "stock_syringe_shortage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dose_uuid", sa.String(length=36), nullable=False),
        sa.Column("syringe_type", sa.String(length=4), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("user", sa.String(length=50), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_syringe_shortage")),
    )
    with op.batch_alter_table("stock_syringe_shortage", schema=None) as batch_op:
        batch_op.create_index("ix_stock_syringe_shortage_dose_uuid", ["dose_uuid"], unique=False)
        batch_op.create_index("ix_stock_syringe_shortage_date", ["date"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("stock_syringe_shortage", schema=None) as batch_op:
        batch_op.drop_index("ix_stock_syringe_shortage_date")
        batch_op.drop_index("ix_stock_syringe_shortage_dose_uuid")
    op.drop_table("stock_syringe_shortage")
    # the syringes go with the column that tells them from vaccines
    syringes = "SELECT id FROM stock_product WHERE kind = 'syringe'"
    op.execute(f"DELETE FROM stock_movement WHERE batch_id IN (SELECT id FROM stock_batch WHERE product_id IN ({syringes}))")
    op.execute(f"DELETE FROM stock_batch WHERE product_id IN ({syringes})")
    op.execute(f"DELETE FROM stock_product_code WHERE product_id IN ({syringes})")
    op.execute(f"DELETE FROM stock_product WHERE id IN ({syringes})")
    op.drop_column("stock_product", "kind")
