"""The clinic flow: visits (ticket per child per day, current step) and their events

Revision ID: 0013_visits
Revises: 0012_desks
Create Date: 2026-12-06 20:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_visits"
down_revision = "0012_desks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "visit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("ticket", sa.String(length=8), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("booked", sa.Boolean(), nullable=False),
        sa.Column("step", sa.String(length=4), nullable=False),
        sa.Column("status", sa.String(length=4), nullable=False),
        sa.Column("misses", sa.Integer(), nullable=False),
        sa.Column("taken_at", sa.DateTime(), nullable=False),
        sa.Column("queued_at", sa.DateTime(), nullable=False),
        sa.Column("called_at", sa.DateTime(), nullable=True),
        sa.Column("last_at", sa.DateTime(), nullable=False),
        sa.Column("desk", sa.String(length=40), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["child_id"], ["child.id"], name=op.f("fk_visit_child_id_child"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit")),
        sa.UniqueConstraint("day", "ticket", name="uq_visit_day_ticket"),
        sa.UniqueConstraint("day", "child_id", name="uq_visit_day_child"),
    )
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.create_index("ix_visit_day_step", ["day", "step"], unique=False)
    op.create_table(
        "visit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("from_step", sa.String(length=4), nullable=False),
        sa.Column("from_status", sa.String(length=4), nullable=True),
        sa.Column("to_step", sa.String(length=4), nullable=False),
        sa.Column("to_status", sa.String(length=4), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("operator", sa.String(length=50), nullable=True),
        sa.Column("desk", sa.String(length=40), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visit.id"], name=op.f("fk_visit_event_visit_id_visit"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_event")),
    )
    with op.batch_alter_table("visit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visit_event_visit_id"), ["visit_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("visit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visit_event_visit_id"))
    op.drop_table("visit_event")
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.drop_index("ix_visit_day_step")
    op.drop_table("visit")
