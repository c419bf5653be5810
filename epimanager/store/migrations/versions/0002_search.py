"""F3 quick search: name indexes and search keys made with the surname-aware rules

Revision ID: 0002_search
Revises: 0001_initial
Create Date: 2026-11-26 09:00:00
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

from epimanager.domain.search.keys import child_keys
from epimanager.store.dialect import run

revision = "0002_search"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Chinese-character search: prefix ranges on the child's, mother's and father's name.
    op.create_index("ix_child_name", "child", ["name"], unique=False)
    op.create_index("ix_child_mother_name", "child", ["mother_name"], unique=False)
    op.create_index("ix_child_father_name", "child", ["father_name"], unique=False)
    # Keys written before this revision used plain pypinyin readings: recompute them.
    conn = op.get_bind()
    conn.execute(text("DELETE FROM child_search_key"))
    children = conn.execute(text("SELECT id, name, mother_name, father_name FROM child")).all()
    rows = [
        (key, cid, kind)
        for cid, name, mother, father in children
        for key, kind in child_keys(name or "", mother, father).items()
    ]
    rows.sort()
    if rows:
        run(conn, 
            "INSERT INTO child_search_key (key, child_id, kind) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            rows,
        )


def downgrade() -> None:
    op.drop_index("ix_child_father_name", table_name="child")
    op.drop_index("ix_child_mother_name", table_name="child")
    op.drop_index("ix_child_name", table_name="child")
