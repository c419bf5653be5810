"""Vaccine stock (疫苗出入库): products, product codes, batches, movement ledger

Revision ID: 0003_stock
Revises: 0002_search
Create Date: 2026-11-27 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_stock"
down_revision = "0002_search"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stock_product",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("vaccine_code", sa.String(length=4), nullable=False),
        sa.Column("manufacturer", sa.String(length=100), nullable=False),
        sa.Column("specification", sa.String(length=50), nullable=False),
        sa.Column("doses_per_vial", sa.Integer(), nullable=False),
        sa.Column("form", sa.String(length=20), nullable=True),
        sa.Column("price_fen", sa.Integer(), nullable=True),
        sa.Column("free", sa.Boolean(), nullable=False),
        sa.Column("min_quantity", sa.Integer(), nullable=False),
        sa.Column("open_vial_hours", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("doses_per_vial >= 1", name=op.f("ck_stock_product_doses_per_vial")),
        sa.CheckConstraint("min_quantity >= 0", name=op.f("ck_stock_product_min_quantity")),
        sa.CheckConstraint("price_fen IS NULL OR price_fen >= 0", name=op.f("ck_stock_product_price_fen")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_product")),
        sa.UniqueConstraint("uuid", name=op.f("uq_stock_product_uuid")),
        sa.UniqueConstraint(
            "vaccine_code", "manufacturer", "specification", name=op.f("uq_stock_product_vaccine_code")
        ),
    )
    op.create_table(
        "stock_product_code",
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["stock_product.id"],
            name=op.f("fk_stock_product_code_product_id_stock_product"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("code", "kind", name=op.f("pk_stock_product_code")),
    )
    op.create_index("ix_stock_product_code_product_id", "stock_product_code", ["product_id"], unique=False)
    op.create_table(
        "stock_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("batch_no", sa.String(length=40), nullable=False),
        sa.Column("expiry", sa.Date(), nullable=False),
        sa.Column("lot_release_no", sa.String(length=40), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("open_remaining", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("quantity >= 0", name=op.f("ck_stock_batch_quantity")),
        sa.CheckConstraint(
            "open_remaining >= 0 AND open_remaining <= quantity", name=op.f("ck_stock_batch_open_remaining")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["stock_product.id"], name=op.f("fk_stock_batch_product_id_stock_product")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_batch")),
        sa.UniqueConstraint("uuid", name=op.f("uq_stock_batch_uuid")),
        sa.UniqueConstraint("product_id", "batch_no", name=op.f("uq_stock_batch_product_id")),
    )
    op.create_index("ix_stock_batch_batch_no", "stock_batch", ["batch_no"], unique=False)
    op.create_index("ix_stock_batch_expiry", "stock_batch", ["expiry"], unique=False)
    op.create_table(
        "stock_movement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("subtype", sa.String(length=16), nullable=False),
        sa.Column("delta", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("document_no", sa.String(length=50), nullable=True),
        sa.Column("supplier", sa.String(length=100), nullable=True),
        sa.Column("counterparty", sa.String(length=100), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("user", sa.String(length=50), nullable=True),
        sa.Column("dose_uuid", sa.String(length=36), nullable=True),
        sa.Column("vial_opened_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("kind IN ('in', 'out', 'waste', 'count')", name=op.f("ck_stock_movement_kind")),
        sa.CheckConstraint("kind != 'in' OR delta > 0", name=op.f("ck_stock_movement_in_positive")),
        sa.CheckConstraint("kind != 'waste' OR delta < 0", name=op.f("ck_stock_movement_waste_negative")),
        sa.ForeignKeyConstraint(["batch_id"], ["stock_batch.id"], name=op.f("fk_stock_movement_batch_id_stock_batch")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_movement")),
        sa.UniqueConstraint("uuid", name=op.f("uq_stock_movement_uuid")),
    )
    op.create_index("ix_stock_movement_batch_date", "stock_movement", ["batch_id", "date"], unique=False)
    op.create_index("ix_stock_movement_date", "stock_movement", ["date"], unique=False)
    op.create_index("ix_stock_movement_dose_uuid", "stock_movement", ["dose_uuid"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_stock_movement_dose_uuid", table_name="stock_movement")
    op.drop_index("ix_stock_movement_date", table_name="stock_movement")
    op.drop_index("ix_stock_movement_batch_date", table_name="stock_movement")
    op.drop_table("stock_movement")
    op.drop_index("ix_stock_batch_expiry", table_name="stock_batch")
    op.drop_index("ix_stock_batch_batch_no", table_name="stock_batch")
    op.drop_table("stock_batch")
    op.drop_index("ix_stock_product_code_product_id", table_name="stock_product_code")
    op.drop_table("stock_product_code")
    op.drop_table("stock_product")
