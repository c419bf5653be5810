"""在册变更 history (status_change) and child merges (child_merge)

Revision ID: 0005_registry
Revises: 0004_sync
Create Date: 2026-12-05 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_registry"
down_revision = "0004_sync"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "status_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("old_status", sa.Integer(), nullable=False),
        sa.Column("new_status", sa.Integer(), nullable=False),
        sa.Column("change_date", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=50), nullable=True),
        sa.Column("remark", sa.String(length=200), nullable=True),
        sa.Column("unit_code", sa.String(length=10), nullable=False),
        sa.Column("user", sa.String(length=50), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"], ["child.id"], name=op.f("fk_status_change_child_id_child"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_change")),
        sa.UniqueConstraint("uuid", name=op.f("uq_status_change_uuid")),
    )
    op.create_index("ix_status_change_change_date", "status_change", ["change_date", "id"], unique=False)
    op.create_index("ix_status_change_child_id", "status_change", ["child_id"], unique=False)
    op.create_table(
        "child_merge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kept_child_id", sa.Integer(), nullable=False),
        sa.Column("dup_child_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("moved_doses", sa.Text(), nullable=False),
        sa.Column("moved_changes", sa.Text(), nullable=False),
        sa.Column("filled_fields", sa.Text(), nullable=False),
        sa.Column("dup_prior", sa.Text(), nullable=False),
        sa.Column("user", sa.String(length=50), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("undone_at", sa.DateTime(), nullable=True),
        sa.Column("undone_by", sa.String(length=50), nullable=True),
        sa.ForeignKeyConstraint(["kept_child_id"], ["child.id"], name=op.f("fk_child_merge_kept_child_id_child")),
        sa.ForeignKeyConstraint(["dup_child_id"], ["child.id"], name=op.f("fk_child_merge_dup_child_id_child")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_child_merge")),
    )
    op.create_index("ix_child_merge_dup_child_id", "child_merge", ["dup_child_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_child_merge_dup_child_id", table_name="child_merge")
    op.drop_table("child_merge")
    op.drop_index("ix_status_change_child_id", table_name="status_change")
    op.drop_index("ix_status_change_change_date", table_name="status_change")
    op.drop_table("status_change")
