"""Issue #16 items 8 and 9: an import beside other writers, committed in chunks and resumable."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.errors import EpiError
from epimanager.services import importer
from epimanager.services.children import create_child, get_child
from epimanager.services.doses import add_dose
from epimanager.services.importer import import_children, import_doses
from epimanager.store.database import Database, open_database
from epimanager.store.models import Child
from tests.helpers.codes import fill_year

TODAY = date(2026, 11, 26)
HEADER = "name,sex,birth_date,mother_name,father_name,phone,id_number,address,committee,residence"


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer, "CHUNK_ROWS", 3)


def seven_children(tmp_path: Path) -> Path:
    rows = "".join(f"\n孩子{i},{'男' if i % 2 else '女'},2025-03-0{i + 1},母亲{i},,,,,东风村,本地" for i in range(7))
    path = tmp_path / "c.csv"
    path.write_text(HEADER + rows + "\n", encoding="utf-8")
    return path


def names(db: Database) -> list[str]:
    with db.session() as s:
        return list(s.scalars(select(Child.name).order_by(Child.id)))


def test_another_desk_adds_children_and_saves_a_dose_between_chunks(
    db: Database, db_path: Path, tmp_path: Path
) -> None:
    """The import no longer holds the write lock for its whole run, nor picks ids itself
    (``max(id)+1`` collided with the other desk's new child: UNIQUE child.id)."""
    create_child(db, ChildInput("早到", "1", date(2025, 1, 5), mother_name="王芳"), today=TODAY)
    other = open_database(db_path)
    saved: list[str] = []

    def other_desk(done: int, total: int) -> None:
        if done < total:  # between two chunks
            rec = create_child(other, ChildInput(f"另台{done}", "2", date(2025, 2, 1), mother_name="赵敏"), today=TODAY)
            add_dose(other, rec.code, DoseInput("HepB", 1, date(2025, 2, 1)), today=TODAY)
            saved.append(rec.code)

    try:
        report = import_children(db, seven_children(tmp_path), today=TODAY, progress=other_desk)
    finally:
        other.close()
    assert (report.imported, report.errors) == (7, ())
    # 早到 0001; chunk 1: 0002-0004; the other desk 0005; chunk 2: 0006-0008; the other desk 0009
    assert saved == ["320102010120250005", "320102010120250009"]
    # the database numbered everyone in the order they were written
    assert names(db) == ["早到", "孩子0", "孩子1", "孩子2", "另台3", "孩子3", "孩子4", "孩子5", "另台6", "孩子6"]
    assert [d.vaccine_abbr for d in get_child(db, saved[0]).doses] == ["HepB"]


def test_a_stopped_import_is_finished_by_running_it_again(db: Database, tmp_path: Path) -> None:
    csv = seven_children(tmp_path)
    chunks = iter([False, False, True])
    first = import_children(db, csv, today=TODAY, should_stop=lambda: next(chunks))
    assert (first.imported, first.cancelled) == (6, True)
    assert "导入已取消" in first.summary()
    assert len(names(db)) == 6

    dry = import_children(db, csv, dry_run=True, today=TODAY)
    assert (dry.skipped, dry.imported) == (6, 1)
    again = import_children(db, csv, today=TODAY)
    assert (again.skipped, again.imported, again.errors) == (6, 1, ())
    assert again.resumed_after == 7
    assert "第 7 行及以前的 6 行已在上次未完成的导入" in again.summary()
    assert names(db) == [f"孩子{i}" for i in range(7)]

    with pytest.raises(EpiError, match=r"已于 .* 导入过（7 条），再导入会重复建档，未导入"):
        import_children(db, csv, today=TODAY)
    assert len(names(db)) == 7


def test_a_stopped_dose_import_resumes_without_doubling_doses(db: Database, tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text(
        HEADER + ",child_code\n张浩,男,2025-03-01,李梅,,,,,东风村,本地,320102010120250001\n", encoding="utf-8"
    )
    import_children(db, tmp_path / "c.csv", today=TODAY)
    doses = tmp_path / "d.csv"
    doses.write_text(
        "child_code,vaccine,dose_number,date,batch,manufacturer,site,unit_code"
        "\n320102010120250001,HepB,1,2025-03-01,,,,"
        "\n320102010120250001,BCG,1,2025-03-01,,,,"
        "\n320102010120250001,HepB,2,2025-04-01,,,,"
        "\n320102010120250001,DTaP,1,2025-06-01,,,,"
        "\n320102010120250001,HepB,3,2025-09-01,,,,\n",
        encoding="utf-8",
    )
    stops = iter([False, True])
    first = import_doses(db, doses, today=TODAY, should_stop=lambda: next(stops))
    assert (first.imported, first.cancelled) == (3, True)
    again = import_doses(db, doses, today=TODAY)
    assert (again.skipped, again.imported, again.errors) == (3, 2, ())
    got = [(d.vaccine_abbr, d.dose_number) for d in get_child(db, "320102010120250001").doses]
    assert sorted(got) == [("BCG", 1), ("DTaP", 1), ("HepB", 1), ("HepB", 2), ("HepB", 3)]


def test_a_file_of_only_bad_rows_leaves_nothing_to_resume(db: Database, tmp_path: Path) -> None:
    csv = tmp_path / "c.csv"
    csv.write_text(HEADER + "\n,男,2025-03-01,李梅,,,,,东风村,本地\n", encoding="utf-8")
    assert import_children(db, csv, today=TODAY).imported == 0
    again = import_children(db, csv, today=TODAY)
    assert (again.skipped, [e.line for e in again.errors]) == (0, [2])
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Child)) == 0


def test_an_import_that_runs_a_year_out_of_serials_gives_the_last_ones_once_then_says_so(
    db: Database, tmp_path: Path
) -> None:
    """1,000,000 children imported into 25 birth years: once a year's serials ran short the importer
    handed the same last free serial to several rows of a chunk and stopped with a database traceback."""
    free = {10, 20, 30, 40}
    fill_year(db, 2025, TODAY, free=free)  # years of registrations: every 2025 serial but four taken
    report = import_children(db, seven_children(tmp_path), today=TODAY)  # born 2025, chunks of 3
    assert report.imported == 4
    assert [e.line for e in report.errors] == [6, 7, 8]
    assert all("2025 年出生儿童的编码已用完" in e.reason for e in report.errors)
    with db.session() as s:
        new = set(s.scalars(select(Child.code).where(Child.name.like("孩子%"))))
    assert new == {f"32010201012025{n:04d}" for n in free}
