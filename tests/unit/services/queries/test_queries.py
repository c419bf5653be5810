"""The query screens' services: filters, keyset paging and export."""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.errors import NotFoundError, ValidationError
from epimanager.services.children import create_child, update_child
from epimanager.services.doses import add_dose, delete_dose
from epimanager.services.queries.changes import ChangeQuery
from epimanager.services.queries.common import Query, iter_rows
from epimanager.services.queries.doses import DoseQuery
from epimanager.services.queries.export import export_csv, export_query, export_xlsx
from epimanager.services.queries.gap import GapQuery
from epimanager.services.queries.managed import ManagedQuery
from epimanager.services.registry import change_status, delete_child
from epimanager.store.database import Database

TODAY = date(2026, 11, 26)
NOV = (date(2026, 11, 1), date(2026, 11, 30))


def child(db: Database, name: str, birth: date, committee: str = "东风村", phone: str | None = None) -> str:
    inp = ChildInput(name, "1", birth, mother_name="李梅", committee=committee, phone=phone)
    return create_child(db, inp, user="建档员", today=TODAY).code


def dose(db: Database, code: str, vac: str, n: int, day: date, **kw: object) -> str:
    inp = DoseInput(vac, n, day, **kw)  # type: ignore[arg-type]
    # query tests need records, valid or not in the schedule (the query screens list both)
    return add_dose(db, code, inp, user="护士甲", today=TODAY, confirm_invalid=True).uuid


def all_pages(db: Database, q: Query, size: int) -> list[list[object]]:
    pages = []
    after = None
    while True:
        page = q.fetch(db, after, size)
        pages.append([r.values for r in page.rows])
        if page.cursor is None:
            return pages
        after = page.cursor


def test_dose_query_filters(db: Database) -> None:
    a = child(db, "张浩", date(2026, 5, 1), phone="13800000001")
    b = child(db, "李娜", date(2026, 5, 2), committee="红旗村")
    dose(db, a, "HepB", 3, date(2026, 11, 1), batch_no="B1", nurse="王护士")
    dose(db, a, "MPSV-A", 1, date(2026, 11, 3), batch_no="M1", attribute=2)
    dose(db, b, "HepB", 3, date(2026, 11, 5), batch_no="B2", unit_code="5224240101")
    dose(db, b, "HepB", 2, date(2026, 10, 5), batch_no="B2")
    gone = dose(db, b, "BCG", 1, date(2026, 11, 6))
    delete_dose(db, gone)

    def run(**kw: object) -> list[tuple[object, ...]]:
        return [r.values for r in iter_rows(db, DoseQuery(*NOV, **kw))]  # type: ignore[arg-type]

    rows = run()
    assert [(r[0], r[1], r[2], r[9]) for r in rows] == [
        (date(2026, 11, 1), "乙肝疫苗", 3, "张浩"),
        (date(2026, 11, 3), "A群流脑多糖疫苗", 1, "张浩"),
        (date(2026, 11, 5), "乙肝疫苗", 3, "李娜"),
    ]
    assert (rows[0][4], rows[0][6], rows[0][7]) == ("B1", "王护士", "本单位")
    assert rows[0][13] == "13800000001" and rows[0][14] == "东风村"
    assert len(run(vaccine="乙肝")) == 2
    assert [r[4] for r in run(batch="B2")] == ["B2"]
    assert [r[6] for r in run(nurse="王护士")] == ["王护士"]
    assert [r[3] for r in run(attribute="强化")] == ["强化"]
    assert [r[9] for r in run(place="other")] == ["李娜"]
    assert [r[7] for r in run(place="other")] == ["5224240101"]
    assert len(run(place="own")) == 2
    assert [r[9] for r in run(committee="红旗村")] == ["李娜"]
    with pytest.raises(ValidationError, match="区域划分“西湖村”不存在"):
        run(committee="西湖村")
    with pytest.raises(ValidationError, match="晚于结束日期"):
        DoseQuery(date(2026, 12, 1), date(2026, 11, 1)).fetch(db)


def test_keyset_pages_cover_every_row_once_even_on_the_same_day(db: Database) -> None:
    codes = [child(db, f"儿童{i}", date(2026, 5, 1)) for i in range(7)]
    for i, c in enumerate(codes):
        dose(db, c, "HepB", 3, date(2026, 11, 1 + i % 2))
    pages = all_pages(db, DoseQuery(*NOV), 3)
    assert [len(p) for p in pages] == [3, 3, 1]
    names = [r[9] for p in pages for r in p]
    assert sorted(names) == sorted(f"儿童{i}" for i in range(7))
    assert [r[0] for p in pages for r in p] == [date(2026, 11, 1)] * 4 + [date(2026, 11, 2)] * 3
    managed = all_pages(db, ManagedQuery(), 2)
    assert [r[0] for p in managed for r in p] == codes


def test_another_unit_and_the_managing_unit_are_shown_by_their_names(db: Database) -> None:
    a = child(db, "张浩", date(2026, 5, 1))
    # a unit of the unit-code list (resources/unit_codes/2026.csv), and one nobody knows
    dose(db, a, "HepB", 3, date(2026, 11, 1), unit_code="3201020201")
    dose(db, a, "HepB", 2, date(2026, 11, 2), unit_code="5224240101")
    rows = [r.values for r in iter_rows(db, DoseQuery(*NOV))]
    assert [r[7] for r in rows] == ["玄武区新街口社区卫生服务中心预防接种门诊", "5224240101"]
    [managed] = [r.values for r in iter_rows(db, ManagedQuery())]
    assert managed[10] == "玄武区测试社区卫生服务中心预防接种门诊"  # the own unit by name, not 3201020101


def test_managed_query_by_unit_committee_and_birth(db: Database) -> None:
    a = child(db, "张浩", date(2025, 5, 1))
    child(db, "李娜", date(2026, 5, 1), committee="红旗村")
    assert [r.child_code for r in iter_rows(db, ManagedQuery(committee="东风村"))] == [a]
    assert [r.child_code for r in iter_rows(db, ManagedQuery(born_to=date(2025, 12, 31)))] == [a]
    assert len(list(iter_rows(db, ManagedQuery(managing_unit="3201020101")))) == 2
    assert list(iter_rows(db, ManagedQuery(managing_unit="5224240101"))) == []
    with pytest.raises(ValidationError, match="在册情况不正确"):
        list(iter_rows(db, ManagedQuery(statuses=("不存在",))))


def test_gap_query_is_a_call_up_list_with_phones_and_pages(db: Database) -> None:
    on = date(2026, 11, 26)
    due = [child(db, f"儿童{i}", date(2026, 5, 1), phone=f"1380000000{i}") for i in range(5)]
    done = child(db, "已种", date(2026, 11, 25))
    dose(db, done, "HepB", 1, date(2026, 11, 25))
    dose(db, done, "BCG", 1, date(2026, 11, 25))
    red = child(db, "红旗", date(2026, 5, 1), committee="红旗村")
    rows = list(iter_rows(db, GapQuery(on)))
    assert [r.child_code for r in rows] == [*due, red]
    first = rows[0].values
    assert first[4] == 6 and first[7] == "13800000000" and "乙肝疫苗第1剂" in first[10]
    # paging: scan at most 2 children per call, at most 2 rows per page
    pages = all_pages(db, GapQuery(on, scan=2), 2)
    assert sum(len(p) for p in pages) == 6
    assert [r.child_code for r in iter_rows(db, GapQuery(on, committee="红旗村"))] == [red]
    only_bcg = list(iter_rows(db, GapQuery(on, series="BCG")))
    assert all(r.values[10].startswith("卡介苗") for r in only_bcg) and len(only_bcg) == 6


def test_change_query_kinds_user_child_and_newest_first(db: Database) -> None:
    a = child(db, "张浩", date(2026, 5, 1))
    b = child(db, "李娜", date(2026, 5, 1))
    update_child(db, a, {"phone": "13800000000"}, user="乙", today=TODAY)
    dose(db, a, "HepB", 1, date(2026, 5, 1))
    change_status(db, a, "迁出", date(2026, 11, 1), "出国", None, "乙", today=TODAY)
    delete_child(db, b, user="管理员", reason="重复")

    def run(**kw: object) -> list[tuple[object, ...]]:
        return [r.values for r in iter_rows(db, ChangeQuery(**kw))]  # type: ignore[arg-type]

    rows = run()
    assert [r[2] for r in rows] == ["删除个案", "在册变更", "新增接种", "修改基本资料", "新建个案", "新建个案"]
    assert [r[1] for r in rows] == ["删除个案", "基本资料", "接种剂次", "基本资料", "基本资料", "基本资料"]
    assert rows[3][3:] == (a, "张浩", "联系电话", None, "13800000000", "乙")
    assert [r[2] for r in run(kind="接种剂次")] == ["新增接种"]
    assert [r[3] for r in run(kind="删除个案")] == [b]  # a deleted child still shows its code
    assert [r[2] for r in run(user="乙")] == ["在册变更", "修改基本资料"]
    assert len(run(child_code=b)) == 2
    today = datetime.now().date()
    assert len(run(start=today, end=today)) == 6
    assert run(end=date(2000, 1, 1)) == []
    with pytest.raises(ValidationError, match="变更类别"):
        run(kind="其他")
    with pytest.raises(NotFoundError):
        run(child_code="320102010120269999")
    pages = all_pages(db, ChangeQuery(), 4)
    assert [len(p) for p in pages] == [4, 2]


def test_export_csv_and_xlsx(db: Database, tmp_path: Path) -> None:
    a = child(db, "张浩", date(2026, 5, 1), phone="13800000001")
    dose(db, a, "HepB", 3, date(2026, 11, 1), batch_no="B1")
    q = DoseQuery(*NOV)
    n = export_query(db, q, tmp_path / "d.csv")
    assert n == 1
    with (tmp_path / "d.csv").open(encoding="utf-8-sig", newline="") as f:
        got = list(csv.reader(f))
    assert got[0] == list(q.columns)
    assert got[1][:3] == ["2026-11-01", "乙肝疫苗", "3"] and got[1][9] == "张浩"
    assert export_query(db, q, tmp_path / "d.xlsx") == 1
    ws = load_workbook(tmp_path / "d.xlsx").active
    assert ws is not None
    values = list(ws.iter_rows(values_only=True))
    assert values[0] == q.columns
    assert values[1][0] == datetime(2026, 11, 1) and values[1][9] == "张浩" and values[1][13] == "13800000001"
    assert export_csv(("a",), iter([]), tmp_path / "e.csv") == 0
    assert export_xlsx(("a",), iter([]), tmp_path / "e.xlsx") == 0
    with pytest.raises(ValidationError, match="导出格式"):
        export_query(db, q, tmp_path / "d.pdf")


def test_bounded_windows_still_find_every_row_of_a_rare_filter(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each fetch reads at most WINDOW index entries; pages may come back short, never wrong."""
    from epimanager.services.queries import common

    monkeypatch.setattr(common, "WINDOW", 3)
    codes = [child(db, f"儿童{i}", date(2026, 5, 1)) for i in range(8)]
    for i, c in enumerate(codes):
        dose(db, c, "HepB", 3, date(2026, 11, 1 + i), batch_no="RARE" if i in (1, 6) else "B")
    change_status(db, codes[2], "死亡", date(2026, 11, 1), None, None, "乙", today=TODAY)
    change_status(db, codes[7], "死亡", date(2026, 11, 1), None, None, "乙", today=TODAY)
    pages = all_pages(db, DoseQuery(*NOV, batch="RARE"), 50)
    assert len(pages) == 3  # 8 doses / windows of 3
    assert [r[9] for p in pages for r in p] == ["儿童1", "儿童6"]
    assert [r[0] for p in all_pages(db, ManagedQuery(statuses=("死亡",)), 50) for r in p] == [codes[2], codes[7]]
    assert [r[3] for p in all_pages(db, ChangeQuery(user="乙"), 50) for r in p] == [codes[7], codes[2]]
    assert len([r for p in all_pages(db, DoseQuery(*NOV), 2) for r in p]) == 8
