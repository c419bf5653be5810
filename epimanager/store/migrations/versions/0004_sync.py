"""Platform sync: outbox (per-record sync state), in-flight batches, ownership of downloaded records

Existing children and doses are queued as ``pending`` so that a database
created before this revision uploads everything it holds.

Revision ID: 0004_sync
Revises: 0003_stock
Create Date: 2026-12-03 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_sync"
down_revision = "0003_stock"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sync_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("batch_key", sa.String(length=36), nullable=True),
        sa.Column("sent_version", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("payload", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_outbox")),
        sa.UniqueConstraint("uuid", name=op.f("uq_sync_outbox_uuid")),
    )
    op.create_index("ix_sync_outbox_state_id", "sync_outbox", ["state", "id"], unique=False)
    op.create_index("ix_sync_outbox_batch_key", "sync_outbox", ["batch_key"], unique=False)
    op.create_table(
        "sync_batch",
        sa.Column("key", sa.String(length=36), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sync_batch")),
    )
    op.create_table(
        "sync_owner",
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("owner_unit", sa.String(length=10), nullable=False),
        sa.Column("fetched_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("uuid", name=op.f("pk_sync_owner")),
    )
    # Everything recorded before this revision has never been uploaded.
    conn = op.get_bind()
    conn.execute(
        sa.text(
            "INSERT INTO sync_outbox (uuid, kind, version, state, attempts, changed_at) "
            "SELECT uuid, 'child', version, 'pending', 0, updated_at FROM child ORDER BY id"
        )
    )
    conn.execute(
        sa.text(
            "INSERT INTO sync_outbox (uuid, kind, version, state, attempts, changed_at) "
            "SELECT uuid, 'dose', version, 'pending', 0, updated_at FROM dose ORDER BY id"
        )
    )


def downgrade() -> None:
    op.drop_table("sync_owner")
    op.drop_table("sync_batch")
    op.drop_index("ix_sync_outbox_batch_key", table_name="sync_outbox")
    op.drop_index("ix_sync_outbox_state_id", table_name="sync_outbox")
    op.drop_table("sync_outbox")
