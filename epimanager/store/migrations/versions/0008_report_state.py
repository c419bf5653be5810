"""Stored 表6-1 due cells per child, kept current by triggers

Revision ID: 0008_report_state
Revises: 0007_users
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_report_state"
down_revision = "0007_users"
branch_labels = None
depends_on = None

_FORGET = (
    "DELETE FROM report_state WHERE child_id = {ref}.{col}; DELETE FROM report_due WHERE child_id = {ref}.{col}; "
    "UPDATE report_state_gen SET gen = gen + 1;"
)

TRIGGERS = {
    "tr_report_state_dose_insert": f"AFTER INSERT ON dose BEGIN {_FORGET.format(ref='NEW', col='child_id')} END",
    "tr_report_state_dose_update": (
        "AFTER UPDATE OF child_id, vaccine_code, date, deleted ON dose BEGIN "
        f"{_FORGET.format(ref='OLD', col='child_id')} {_FORGET.format(ref='NEW', col='child_id')} END"
    ),
    "tr_report_state_dose_delete": f"AFTER DELETE ON dose BEGIN {_FORGET.format(ref='OLD', col='child_id')} END",
    "tr_report_state_child_update": (
        f"AFTER UPDATE OF birth_date, sex ON child BEGIN {_FORGET.format(ref='OLD', col='id')} END"
    ),
    "tr_report_state_child_delete": f"AFTER DELETE ON child BEGIN {_FORGET.format(ref='OLD', col='id')} END",
}

#: The same triggers on PostgreSQL (a row trigger calls one plpgsql function).
PG_TRIGGERS = (
    """CREATE FUNCTION report_state_forget() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_TABLE_NAME = 'dose' THEN
        IF TG_OP <> 'INSERT' THEN
          DELETE FROM report_state WHERE child_id = OLD.child_id;
          DELETE FROM report_due WHERE child_id = OLD.child_id;
        END IF;
        IF TG_OP <> 'DELETE' THEN
          DELETE FROM report_state WHERE child_id = NEW.child_id;
          DELETE FROM report_due WHERE child_id = NEW.child_id;
        END IF;
      ELSE
        DELETE FROM report_state WHERE child_id = OLD.id;
        DELETE FROM report_due WHERE child_id = OLD.id;
      END IF;
      UPDATE report_state_gen SET gen = gen + 1;
      RETURN NULL;
    END $$""",
    "CREATE TRIGGER tr_report_state_dose AFTER INSERT OR DELETE OR UPDATE OF child_id, vaccine_code, date, deleted "
    "ON dose FOR EACH ROW EXECUTE FUNCTION report_state_forget()",
    "CREATE TRIGGER tr_report_state_child AFTER DELETE OR UPDATE OF birth_date, sex "
    "ON child FOR EACH ROW EXECUTE FUNCTION report_state_forget()",
)


def upgrade() -> None:
    op.create_table(
        "report_state",
        sa.Column("child_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("basis", sa.String(length=10), nullable=False),
        sa.Column("latest", sa.String(length=10), nullable=False),
        sa.Column("next_after", sa.String(length=10), nullable=False),
        sa.Column("v_from", sa.String(length=10), nullable=False),
        sa.Column("v_until", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("child_id", name=op.f("pk_report_state")),
    )
    op.create_table(
        "report_due",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("col", sa.String(length=10), nullable=False),
        sa.Column("earliest", sa.String(length=10), nullable=False),
        sa.Column("a_from", sa.String(length=10), nullable=False),
        sa.Column("a_until", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_due")),
    )
    op.create_index("ix_report_due_earliest", "report_due", ["earliest"])
    op.create_index("ix_report_due_child_id", "report_due", ["child_id"])
    op.create_table(
        "report_state_gen",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gen", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_state_gen")),
    )
    op.execute("INSERT INTO report_state_gen (id, gen) VALUES (1, 0)")
    if op.get_bind().dialect.name == "postgresql":
        for statement in PG_TRIGGERS:
            op.execute(statement)
        return
    for name, body in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER tr_report_state_dose ON dose")
        op.execute("DROP TRIGGER tr_report_state_child ON child")
        op.execute("DROP FUNCTION report_state_forget()")
    else:
        for name in TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table("report_state_gen")
    op.drop_index("ix_report_due_child_id", table_name="report_due")
    op.drop_index("ix_report_due_earliest", table_name="report_due")
    op.drop_table("report_due")
    op.drop_table("report_state")
