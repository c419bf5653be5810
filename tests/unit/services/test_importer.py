from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from epimanager.errors import EpiError
from epimanager.services.children import export_children, get_child
from epimanager.services.importer import import_children, import_doses
from epimanager.services.units import init_database
from epimanager.store.database import Database, open_database
from epimanager.store.models import Child, Dose

TODAY = date(2026, 11, 26)
HEADER = "name,sex,birth_date,mother_name,father_name,phone,id_number,address,committee,residence"


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def count(db: Database, model: type) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_bad_rows_are_each_reported_and_good_rows_imported(db: Database, tmp_path: Path) -> None:
    csv = write(
        tmp_path / "c.csv",
        HEADER
        + "\n张浩,男,2025-03-01,李梅,,13912345678,,某路1号,东风村,本地"
        + "\n,女,2025-03-01,李梅,,,,,东风村,本地"  # line 3: no name
        + "\n李萍萍,女,2027-01-01,王芳,,,,,东风村,本地"  # line 4: future birth
        + "\n刘佩佩,女,2025-02-30,王芳,,,,,东风村,本地"  # line 5: impossible date
        + "\n单丽,女,2024-06-01,赵敏,,,,,火星村,本地"  # line 6: unknown committee
        + "\n曾红,女,2024-06-01,孙丽,,,320102202406010025,,红旗村,流动"  # line 7: bad ID check digit
        + "\n\n解放,男,2024-07-01,,解大山,025-84561234,,,城关社区,临时\n",
    )
    report = import_children(db, csv, today=TODAY)
    assert report.total == 7
    assert report.imported == 2
    assert [(e.line, e.reason) for e in report.errors] == [
        (3, "姓名不能为空"),
        (4, "出生日期 2027-01-01 晚于今天"),
        (5, "日期格式不正确：“2025-02-30”（应为 YYYY-MM-DD）"),
        (6, "区域划分“火星村”不存在"),
        (7, "身份证号校验位错误"),
    ]
    with db.session() as s:
        rows = s.execute(select(Child.name, Child.code, Child.residence).order_by(Child.id)).all()
    assert rows == [("张浩", "320102010120250001", 1), ("解放", "320102010120240001", 3)]


def test_dry_run_writes_nothing(db: Database, tmp_path: Path) -> None:
    csv = write(tmp_path / "c.csv", HEADER + "\n张浩,男,2025-03-01,李梅,,,,,东风村,本地\n")
    report = import_children(db, csv, dry_run=True, today=TODAY)
    assert report.imported == 1 and report.dry_run
    assert "试运行" in report.summary()
    assert count(db, Child) == 0


def test_gb18030_file_from_excel_is_read(db: Database, tmp_path: Path) -> None:
    csv = write(tmp_path / "c.csv", HEADER + "\n欧阳娜娜,女,2025-03-01,诸葛丽,,,,,东风村,本地\n", "gb18030")
    report = import_children(db, csv, today=TODAY)
    assert report.imported == 1
    with db.session() as s:
        assert s.scalar(select(Child.name)) == "欧阳娜娜"


def test_missing_required_column_is_refused_before_anything(db: Database, tmp_path: Path) -> None:
    csv = write(tmp_path / "c.csv", "name,sex\n张浩,男\n")
    with pytest.raises(EpiError, match="表头缺少列：birth_date, mother_name"):
        import_children(db, csv, today=TODAY)


def test_duplicate_child_codes_in_file_and_database_are_rejected(db: Database, tmp_path: Path) -> None:
    head = HEADER + ",child_code"
    write(tmp_path / "a.csv", head + "\n张浩,男,2025-03-01,李梅,,,,,东风村,本地,320102010120250007\n")
    import_children(db, tmp_path / "a.csv", today=TODAY)
    csv = write(
        tmp_path / "b.csv",
        head
        + "\n王五,男,2025-03-01,李梅,,,,,东风村,本地,320102010120250007"
        + "\n赵六,男,2025-03-01,李梅,,,,,东风村,本地,320102010120250008"
        + "\n钱七,男,2025-03-01,李梅,,,,,东风村,本地,320102010120250008"
        + "\n孙八,男,2025-03-01,李梅,,,,,东风村,本地,\n",
    )
    report = import_children(db, csv, today=TODAY)
    assert [(e.line, e.reason) for e in report.errors] == [
        (2, "儿童编码 320102010120250007 已存在于数据库"),
        (4, "儿童编码 320102010120250008 与第 3 行重复"),
    ]
    with db.session() as s:
        # the generated code continues after the largest given serial
        assert s.scalar(select(Child.code).where(Child.name == "孙八")) == "320102010120250009"


def test_dose_import_checks_child_vaccine_and_dates(db: Database, tmp_path: Path) -> None:
    write(tmp_path / "c.csv", HEADER + ",child_code\n张浩,男,2025-03-01,李梅,,,,,东风村,本地,320102010120250001\n")
    import_children(db, tmp_path / "c.csv", today=TODAY)
    doses = write(
        tmp_path / "d.csv",
        "child_code,vaccine,dose_number,date,batch,manufacturer,site,unit_code"
        "\n320102010120250001,HepB,1,2025-03-01,B001,康泰,右上臂,"
        "\n320102010120250001,BCG,1,2025-03-02,,,,外地"
        "\n320102010120250001,DTaP,1,2025-05-01,,,,3201040101"
        "\n320102010120259999,HepB,2,2025-04-01,,,,"  # line 5: unknown child
        "\n320102010120250001,XYZ,1,2025-04-01,,,,"  # line 6: unknown vaccine
        "\n320102010120250001,HepB,一,2025-04-01,,,,"  # line 7: bad dose number
        "\n320102010120250001,HepB,2,2025-02-01,,,,"  # line 8: before birth
        "\n320102010120250001,HepB,2,2025-04-01,,,,12345\n",  # line 9: bad unit code
    )
    report = import_doses(db, doses, today=TODAY)
    assert report.imported == 3
    assert [e.line for e in report.errors] == [5, 6, 7, 8, 9]
    assert "找不到儿童编码为 320102010120259999" in report.errors[0].reason
    assert "未知疫苗" in report.errors[1].reason
    assert "剂次应为整数" in report.errors[2].reason
    assert "早于出生日期" in report.errors[3].reason
    assert "接种单位编码应为10位数字或“外地”" in report.errors[4].reason
    child = get_child(db, "320102010120250001")
    places = {(d.vaccine_abbr, d.unit_code, d.place_text) for d in child.doses}
    assert places == {("HepB", "3201020101", None), ("BCG", None, "外地"), ("DTaP", "3201040101", None)}


def test_export_round_trips_through_import(db: Database, tmp_path: Path) -> None:
    csv = write(
        tmp_path / "c.csv",
        HEADER
        + ",birth_cert_no,school,status"
        + "\n张浩,男,2025-03-01,李梅,张伟,13912345678,,某路1号,东风村,本地,K123456789,,本地"
        + "\n万俟雪,女,2018-06-01,,万俟明,025-84561234,,,红旗村,流动,,阳光幼儿园,入托\n",
    )
    import_children(db, csv, today=TODAY)
    exported = list(export_children(db))
    dump = tmp_path / "export.json"
    dump.write_text(json.dumps(exported, ensure_ascii=False), encoding="utf-8")
    other = tmp_path / "other.sqlite"
    init_database(other, "3201020101", "另一台电脑", ["东风村", "红旗村"])
    db2 = open_database(other)
    try:
        report = import_children(db2, dump, today=TODAY)
        assert report.errors == ()
        assert list(export_children(db2)) == exported
    finally:
        db2.close()
    assert exported[1]["status"] == 7 and exported[1]["school"] == "阳光幼儿园"


def test_unreadable_json_is_a_clear_error(db: Database, tmp_path: Path) -> None:
    bad = write(tmp_path / "x.json", "{not json")
    with pytest.raises(EpiError, match="JSON 文件格式错误"):
        import_children(db, bad, today=TODAY)
    assert count(db, Dose) == 0


def test_invalid_doses_are_listed_by_line_and_imported_only_when_confirmed(db: Database, tmp_path: Path) -> None:
    """The dose service's rule holds in the importer too: HepB 第2剂 is due at 1 month of age (on day 4
    it is 未到月龄) and MMR from 8 months (at 3 months it is 首针提前)."""
    write(tmp_path / "c.csv", HEADER + ",child_code\n张浩,男,2025-03-01,李梅,,,,,东风村,本地,320102010120250001\n")
    import_children(db, tmp_path / "c.csv", today=TODAY)
    head = "child_code,vaccine,dose_number,date,batch,manufacturer,site,unit_code"
    first = write(
        tmp_path / "d1.csv",
        head + "\n320102010120250001,HepB,1,2025-03-01,,,,"
        "\n320102010120250001,HepB,2,2025-03-04,,,,"  # line 3: 未到月龄
        "\n320102010120250001,MMR,1,2025-06-01,,,,\n",  # line 4: 首针提前
    )
    report = import_doses(db, first, today=TODAY)
    assert report.imported == 1
    assert [(e.line, e.reason.split("：")[0]) for e in report.errors] == [(3, "未到月龄"), (4, "首针提前")]
    assert "--confirm-invalid" in report.errors[0].reason
    assert [(d.vaccine_abbr, d.dose_number) for d in get_child(db, "320102010120250001").doses] == [("HepB", 1)]

    again = write(
        tmp_path / "d2.csv",
        head + "\n320102010120250001,HepB,2,2025-03-04,,,,\n320102010120250001,MMR,1,2025-06-01,,,,\n",
    )
    report = import_doses(db, again, today=TODAY, confirm_invalid=True)
    assert (report.imported, report.errors) == (2, ())
    assert [(e.line, e.reason) for e in report.confirmed_invalid] == [
        (2, "未到月龄（无效剂次，已确认导入）"),
        (3, "首针提前（无效剂次，已确认导入）"),
    ]
    assert len(get_child(db, "320102010120250001").doses) == 3


def test_duplicate_doses_are_listed_by_line_and_imported_only_when_confirmed(db: Database, tmp_path: Path) -> None:
    """The dose service's duplicate rule in the importer: a HepB 第1剂 the child already has
    (stored) and a line repeating an earlier line of the same file are bad rows until confirmed."""
    write(tmp_path / "c.csv", HEADER + ",child_code\n张浩,男,2025-03-01,李梅,,,,,东风村,本地,320102010120250001\n")
    import_children(db, tmp_path / "c.csv", today=TODAY)
    head = "child_code,vaccine,dose_number,date,batch,manufacturer,site,unit_code"
    stored = write(tmp_path / "d0.csv", head + "\n320102010120250001,HepB,1,2025-03-01,,,,\n")
    assert import_doses(db, stored, today=TODAY).imported == 1
    rows = (
        head + "\n320102010120250001,HepB,1,2025-03-01,,,,"  # line 2: already stored, same day
        "\n320102010120250001,HepB,2,2025-04-01,,,,"  # line 3: fine
        "\n320102010120250001,HepB,2,2025-09-01,,,,\n"  # line 4: 第2剂 again (line 3 counts)
    )
    report = import_doses(db, write(tmp_path / "d1.csv", rows), today=TODAY)
    assert report.imported == 1
    assert [e.line for e in report.errors] == [2, 4]
    assert report.errors[0].reason.startswith("同一天已有乙肝疫苗 第1剂（2025-03-01）")
    assert report.errors[1].reason.startswith("该儿童已有有效的乙肝疫苗 第2剂（2025-04-01）")
    assert "--confirm-duplicate" in report.errors[1].reason
    assert [d.dose_number for d in get_child(db, "320102010120250001").doses] == [1, 2]

    # at six months it counts (as the 3rd): only the duplicate needs confirming
    again = write(tmp_path / "d2.csv", head + "\n320102010120250001,HepB,2,2025-09-01,,,,\n")
    dry = import_doses(db, again, today=TODAY, dry_run=True, confirm_duplicate=True)
    assert (dry.imported, dry.errors) == (1, ())
    report = import_doses(db, again, today=TODAY, confirm_duplicate=True)
    assert (report.imported, report.errors) == (1, ())
    assert [(e.line, e.reason) for e in report.confirmed_duplicate] == [
        (2, "该儿童已有有效的乙肝疫苗 第2剂（2025-04-01）（重复剂次，已确认为更正/补录）")
    ]
    assert [d.dose_number for d in get_child(db, "320102010120250001").doses] == [1, 2, 2]
