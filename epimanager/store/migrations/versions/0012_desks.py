"""The desk (workstation) each audited change was made at: several desks share a clinic server;
search columns in byte order on PostgreSQL

Revision ID: 0012_desks
Revises: 0011_nurse
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_desks"
down_revision = "0011_nurse"
branch_labels = None
depends_on = None


#: Columns F3 searches by prefix range (``key >= 'lpp' AND key < 'lpq'``): on PostgreSQL they compare
#: byte by byte (collation "C"), as on SQLite, whatever locale the server's database was created with.
_BYTE_ORDER = (("child_search_key", "key", 60), ("child", "name", 50), ("child", "mother_name", 50),
               ("child", "father_name", 50))  # fmt: skip


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("desk", sa.String(length=40), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        for table, column, length in _BYTE_ORDER:
            op.execute(f'ALTER TABLE {table} ALTER COLUMN {column} TYPE VARCHAR({length}) COLLATE "C"')


def downgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("desk")
