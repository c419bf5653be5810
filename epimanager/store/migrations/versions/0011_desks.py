"""The desk (workstation) each audited change was made at: several desks share a clinic server

Revision ID: 0011_desks
Revises: 0010_syringes
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_desks"
down_revision = "0010_syringes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("desk", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("desk")
