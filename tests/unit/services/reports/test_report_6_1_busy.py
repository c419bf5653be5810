"""表6-1 while another desk holds the clinic write lock for longer than a desk waits: the report is
still shown (it only reads what it counts); the rows and cells it would keep for the next run are not
kept, and the next run makes and keeps them.

On the clinic server only: there the wait (``LOCK_TIMEOUT_S``) is read for each transaction and can be
made short for the test; a SQLite file's wait is fixed when it is opened (30 s).
"""

from __future__ import annotations

from datetime import date

import psycopg
import pytest
from sqlalchemy import text

from epimanager.services.demo import generate as demo
from epimanager.services.reports.report_6_1 import report_6_1
from epimanager.store import database
from epimanager.store.database import WRITE_LOCK_KEY, Database

BACKENDS = ("postgresql",)
TODAY = date(2026, 11, 26)
MONTH = "2026-10"


def _kept(db: Database) -> tuple[int, int]:
    with db.session() as s:
        state = s.execute(text("SELECT count(*) FROM report_state")).scalar_one()
        cells = s.execute(text("SELECT count(*) FROM report_cells")).scalar_one()
    return int(state), int(cells)


def test_a_report_while_another_desk_holds_the_write_lock_is_shown_and_keeps_nothing(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    demo(db, 300, seed=5, today=TODAY)
    with db.transaction() as s:  # as after an upgrade: every child's rows to be made again
        s.execute(text("DELETE FROM report_due"))
        s.execute(text("DELETE FROM report_state"))
    full = report_6_1(db, MONTH, exhaustive=True)["rows"]
    monkeypatch.setattr(database, "LOCK_TIMEOUT_S", 1)
    assert db.server is not None
    with psycopg.connect(db.server.url.replace("postgresql+psycopg://", "postgresql://")) as desk:
        desk.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK_KEY,))  # a long write at another desk
        assert report_6_1(db, MONTH, today=TODAY)["rows"] == full
        assert _kept(db) == (0, 0)
    assert report_6_1(db, MONTH, today=TODAY)["rows"] == full
    state, cells = _kept(db)
    assert state > 0 and cells > 0
