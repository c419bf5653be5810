"""表6-1 keeps the cells of the children it forecast for a past month (those vaccinated in it), with a
fingerprint of what they were made from: the month, the schedule, the child's birth date, sex and doses
up to the month's end.  A later report of that month uses a child's kept cells only while the fingerprint
is the same, so every run must equal forecasting every child in full, whatever changed in between.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import text

from epimanager.domain.codes import Status
from epimanager.domain.validation import DoseInput
from epimanager.services.children import update_child
from epimanager.services.demo import generate as demo
from epimanager.services.doses import add_dose, delete_dose
from epimanager.services.registry import change_status
from epimanager.services.reports.report_6_1 import report_6_1
from epimanager.store.database import Database

TODAY = date(2026, 11, 26)
MONTH = "2026-10"


def _kept(db: Database, month: str) -> dict[int, str]:
    """Kept cells of the month: child id → fingerprint."""
    with db.session() as s:
        rows = s.execute(text("SELECT child_id, fp FROM report_cells WHERE month = :m"), {"m": month})
        return {int(cid): str(fp) for cid, fp in rows}


def _vaccinated(db: Database) -> list[tuple[int, str, str, date]]:
    """(id, code, uuid of its latest dose in the month, birth date) of the children with two or more
    doses in the month (one deleted, they are still vaccinated in it), by id."""
    with db.session() as s:
        rows = s.execute(
            text(
                "SELECT c.id, c.code, (SELECT uuid FROM dose WHERE child_id = c.id AND deleted = false "
                "AND date >= '2026-10-01' AND date <= '2026-10-31' ORDER BY date DESC, id DESC LIMIT 1), "
                "CAST(c.birth_date AS TEXT) FROM child c WHERE c.deleted = false AND (SELECT count(*) FROM dose d "
                "WHERE d.child_id = c.id AND d.deleted = false AND d.date >= '2026-10-01' "
                "AND d.date <= '2026-10-31') >= 2 ORDER BY c.id"
            )
        ).all()
    return [(int(r[0]), str(r[1]), str(r[2]), date.fromisoformat(str(r[3]))) for r in rows]


def _any_dose_in_month(db: Database) -> set[int]:
    with db.session() as s:
        return set(
            s.execute(
                text(
                    "SELECT DISTINCT child_id FROM dose WHERE deleted = false "
                    "AND date >= '2026-10-01' AND date <= '2026-10-31'"
                )
            ).scalars()
        )


def test_kept_cells_give_the_exhaustive_result_and_follow_every_change(db: Database) -> None:
    demo(db, 800, seed=5, today=TODAY)

    def same(period: str = MONTH) -> None:
        assert report_6_1(db, period, today=TODAY)["rows"] == report_6_1(db, period, exhaustive=True)["rows"]

    full = report_6_1(db, MONTH, exhaustive=True)["rows"]
    assert _kept(db, MONTH) == {}  # the exhaustive run keeps nothing
    assert report_6_1(db, MONTH, today=TODAY)["rows"] == full  # forecasts the vaccinated children, keeps them
    kept = _kept(db, MONTH)
    assert len(kept) >= 20
    assert set(kept) <= _any_dose_in_month(db)  # the others are counted from their stored rows
    assert report_6_1(db, MONTH, today=TODAY)["rows"] == full  # from the kept cells
    assert _kept(db, MONTH) == kept

    several = [v for v in _vaccinated(db) if v[0] in kept]
    assert len(several) >= 4
    (a, _a_code, a_latest, _), (b, b_code, _, _), (c, c_code, _, c_birth), (d, d_code, _, _) = several[:4]

    delete_dose(db, a_latest)  # still vaccinated in the month, with one dose less
    same()
    assert _kept(db, MONTH)[a] != kept[a]

    add_dose(
        db, b_code, DoseInput("MMR", 1, date(2026, 10, 30)), today=TODAY, confirm_invalid=True, confirm_duplicate=True
    )
    same()
    assert _kept(db, MONTH)[b] != kept[b]

    born = c_birth - timedelta(days=3) if c_birth.day > 3 else c_birth + timedelta(days=3)
    update_child(db, c_code, {"birth_date": born, "id_number": None}, today=TODAY)
    same()
    assert _kept(db, MONTH)[c] != kept[c]

    # not managed here any more: only the doses given here count for it (its cells are made from those)
    change_status(db, d_code, Status.TEMP_VACCINATION, date(2026, 11, 20), None, None, "王医生", today=TODAY)
    same()

    # a kept row that no longer matches what the child's doses give is forecast again and replaced
    e = next(cid for cid in kept if cid not in (a, b, c, d))
    with db.transaction() as s:
        s.execute(text("UPDATE report_cells SET fp = 'stale', due = '', given = '' WHERE child_id = :e"), {"e": e})
    same()
    assert _kept(db, MONTH)[e] == kept[e]


def test_cells_of_months_long_past_are_not_kept(db: Database) -> None:
    """Only the last 13 report months' cells are kept; an older month is forecast each time."""
    demo(db, 300, seed=7, today=TODAY)
    assert report_6_1(db, "2025-09", today=TODAY)["rows"] == report_6_1(db, "2025-09", exhaustive=True)["rows"]
    assert _kept(db, "2025-09") == {}
    report_6_1(db, "2025-10", today=TODAY)
    assert _kept(db, "2025-10") != {}
