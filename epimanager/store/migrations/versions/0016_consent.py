"""知情告知 and consent: the 告知书 texts as shown and the guardians' consents

Revision ID: 0016_consent
Revises: 0015_precheck
Create Date: 2026-12-07 01:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_consent"
down_revision = "0015_precheck"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consent_text",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("text_key", sa.String(length=40), nullable=False),
        sa.Column("version", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("generic", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_text")),
        sa.UniqueConstraint("sha256", name=op.f("uq_consent_text_sha256")),
    )
    op.create_table(
        "consent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("vaccine_code", sa.String(length=4), nullable=False),
        sa.Column("dose_number", sa.Integer(), nullable=True),
        sa.Column("ticket", sa.String(length=8), nullable=True),
        sa.Column("choice", sa.String(length=4), nullable=False),
        sa.Column("paper", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("text_id", sa.Integer(), nullable=False),
        sa.Column("strokes", sa.Text(), nullable=True),
        sa.Column("png", sa.LargeBinary(), nullable=True),
        sa.Column("signature_hash", sa.String(length=64), nullable=False),
        sa.Column("operator", sa.String(length=50), nullable=True),
        sa.Column("desk", sa.String(length=40), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["child_id"], ["child.id"], name=op.f("fk_consent_child_id_child"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["text_id"], ["consent_text.id"], name=op.f("fk_consent_text_id_consent_text")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent")),
        sa.UniqueConstraint("uuid", name=op.f("uq_consent_uuid")),
        sa.UniqueConstraint("child_id", "day", "vaccine_code", name="uq_consent_child_day_vaccine"),
    )
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.create_index("ix_consent_day", ["day"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.drop_index("ix_consent_day")
    op.drop_table("consent")
    op.drop_table("consent_text")
