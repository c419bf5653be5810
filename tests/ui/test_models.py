"""The table models behind the grid, the panel and the search list (qtmodeltester + content)."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester

from epimanager.domain.codes import DoseAttribute
from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.services.children import create_child, get_child
from epimanager.services.doses import add_dose
from epimanager.services.forecast import engine
from epimanager.services.search import search
from epimanager.services.ui_support import unit_names
from epimanager.settings import DEFAULT_PANEL_FIELDS, GRID_FIELDS, PlaceDisplay
from epimanager.store.database import Database
from epimanager.ui.child.model import VaccinationModel
from epimanager.ui.child.panel import ChildInfoModel
from epimanager.ui.search.model import SearchModel
from tests.ui.conftest import TODAY


def _child(db: Database) -> str:
    code = create_child(db, ChildInput("张浩", "1", date(2025, 3, 1), mother_name="李梅"), today=TODAY).code
    add_dose(db, code, DoseInput("HepB", 1, date(2025, 3, 1), place_text="外地"), today=TODAY)
    add_dose(db, code, DoseInput("HepB", 2, date(2025, 4, 1)), today=TODAY)
    add_dose(db, code, DoseInput("MMR", 1, date(2026, 1, 5), attribute=DoseAttribute.EMERGENCY), today=TODAY)
    add_dose(db, code, DoseInput("bOPV", 1, date(2025, 10, 1), attribute=DoseAttribute.CAMPAIGN), today=TODAY)
    return code


def _headers(m: VaccinationModel) -> list[str]:
    return [m.headerData(c, Qt.Orientation.Horizontal).replace("\n", "") for c in range(m.columnCount())]


def test_grid_groups_rows_places_and_passes_the_model_tester(db: Database, qtmodeltester: ModelTester) -> None:
    child = get_child(db, _child(db))
    fc = engine().forecast(child.birth_date, TODAY, child.doses, child.sex)
    m = VaccinationModel()
    m.configure(GRID_FIELDS, PlaceDisplay.NAME, db.own_unit_code(), unit_names(db))
    m.set_child(child, fc)
    qtmodeltester.check(m)
    # rows follow the catalog's class order: 乙肝 (order 1) before 脊灰 (3) before 麻腮风 (6)
    abbrs = [m.row(r).vaccine.abbr for r in range(m.rowCount())]
    assert abbrs.index("HepB") < abbrs.index("bOPV") < abbrs.index("MMR")
    headers = _headers(m)
    assert headers[:4] == ["疫苗", "状态", "下一剂", "最早日期"]
    assert headers.index("常规①") < headers.index("应急①") < headers.index("强化①") < headers.index("防病需要①")
    row = abbrs.index("MMR")
    assert m.index(row, headers.index("应急①")).data().startswith("2026-01-05")  # 应急 dose in 应急
    assert m.index(row, headers.index("常规①")).data() is None
    assert m.index(abbrs.index("bOPV"), headers.index("强化①")).data().startswith("2025-10-01")
    hepb = abbrs.index("HepB")
    assert "外地" in m.index(hepb, headers.index("常规①")).data()
    assert "本单位" in m.index(hepb, headers.index("常规②")).data()
    m.configure(GRID_FIELDS, PlaceDisplay.CODE, db.own_unit_code(), unit_names(db))
    assert "3201020101" in m.index(hepb, headers.index("常规②")).data()
    m.configure(GRID_FIELDS, PlaceDisplay.OTHER, db.own_unit_code(), unit_names(db))
    assert "本单位" not in m.index(hepb, headers.index("常规②")).data()
    assert "外地" in m.index(hepb, headers.index("常规①")).data()
    # a state is never colour alone: the status column always has the word
    for r in range(m.rowCount()):
        if m.row(r).forecast is not None:
            assert m.index(r, 1).data() in ("应种", "超期未种", "未到期", "已完成", "超龄不再接种")
            assert m.index(r, 1).data(Qt.ItemDataRole.BackgroundRole) is not None
    # fewer grid fields: no state / earliest columns
    m.configure(("place",), PlaceDisplay.NAME, db.own_unit_code(), unit_names(db))
    assert "状态" not in _headers(m) and "最早日期" not in _headers(m)


def test_panel_and_search_models_pass_the_model_tester(db: Database, qtmodeltester: ModelTester) -> None:
    code = _child(db)
    panel = ChildInfoModel(lambda _k, _v: None)
    panel.set_fields(DEFAULT_PANEL_FIELDS)
    panel.set_child(get_child(db, code))
    qtmodeltester.check(panel)
    assert panel.index(panel.row_of("name"), 1).data() == "张浩"
    assert panel.index(panel.row_of("mother_hbsag"), 1).data() == "不详"
    results = SearchModel()
    results.set_rows(search(db, "zhanghao").rows)
    qtmodeltester.check(results)
    assert results.rowCount() == 1 and results.index(0, 0).data() == "张浩"


def test_age_as_a_nurse_says_it() -> None:
    from epimanager.ui.child.fields import age_text

    assert age_text(date(2026, 11, 20), TODAY) == "6天"
    assert age_text(date(2026, 5, 26), TODAY) == "6个月"
    assert age_text(date(2025, 8, 27), TODAY) == "1岁2个月"
    assert age_text(date(2019, 11, 26), TODAY) == "7岁"
    # month ends: the same age as the schedule engine and the 免疫空白 list give
    assert age_text(date(2026, 1, 31), date(2026, 2, 28)) == "1个月"
    assert age_text(date(2026, 3, 31), date(2026, 4, 30)) == "1个月"
    assert age_text(date(2026, 3, 31), date(2026, 4, 29)) == "29天"
    assert age_text(date(2024, 2, 29), date(2025, 2, 28)) == "1岁0个月"
