"""Issue #16 items 7 and 22: hostile and broken import files (each refusal: a message, nothing written)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from epimanager.errors import EpiError
from epimanager.services.children import get_child
from epimanager.services.importer import import_children, import_doses
from epimanager.services.search import search
from epimanager.store.database import Database
from epimanager.store.models import Child, Dose

TODAY = date(2026, 11, 26)
HEADER = "name,sex,birth_date,mother_name,father_name,phone,id_number,address,committee,residence"
BOY = "320102202503010015"  # born 2025-03-01, male, check digit worked out with GB 11643
GIRL = "320102202503010023"


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def children(db: Database) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(Child)) or 0


def lines_and_reasons(report: object) -> list[tuple[int, str]]:
    return [(e.line, e.reason) for e in report.errors]  # type: ignore[attr-defined]


# -- item 7: child codes ---------------------------------------------------------------------


def test_foreign_implausible_and_zero_child_codes_are_refused_per_row(db: Database, tmp_path: Path) -> None:
    csv = write(
        tmp_path / "c.csv",
        HEADER
        + ",child_code"
        + "\n张浩,男,2025-03-01,李梅,,,,,东风村,本地,320102010120250005"  # ours, year = birth year
        + "\n王五,男,2025-03-01,赵敏,,,,,东风村,本地,320104010120250006"  # another unit's code
        + "\n赵六,男,2025-03-01,孙丽,,,,,东风村,本地,320102010120190007"  # year 2019, born 2025
        + "\n钱七,男,2025-03-01,周红,,,,,东风村,本地,320102010120250000"  # serial 0000
        + "\n孙八,男,2025-03-01,吴芳,,,,,东风村,本地,32010201012025000A\n",  # not 18 digits
    )
    dry = import_children(db, csv, dry_run=True, today=TODAY)
    real = import_children(db, csv, today=TODAY)
    expected = [
        (3, "儿童编码 320104010120250006 不是本单位（3201020101）的编码"),
        (4, "儿童编码 320102010120190007 中的年份 2019 与出生年份 2025 不符"),
        (5, "儿童编码 320102010120250000 的序号应在 0001–9999 之间"),
        (6, "儿童编码应为18位数字"),
    ]
    assert lines_and_reasons(dry) == expected
    assert lines_and_reasons(real) == expected
    assert (dry.imported, real.imported) == (1, 1)
    assert get_child(db, "320102010120250005").name == "张浩"


def test_dry_run_reports_the_errors_of_a_real_run_for_serials_near_9999(db: Database, tmp_path: Path) -> None:
    """A stray code with serial 9999 and new children born the same year: never a traceback, and the
    dry run says exactly what the real run then does (whatever serials the allocation finds)."""
    body = "".join(f"\n新{i}号,男,2025-03-0{1 + i % 9},母{i},,,,,东风村,本地," for i in range(6))
    csv = write(
        tmp_path / "c.csv", HEADER + ",child_code\n高九,男,2025-03-01,李梅,,,,,东风村,本地,320102010120259999" + body
    )
    dry = import_children(db, csv, dry_run=True, today=TODAY)
    real = import_children(db, csv, today=TODAY)
    assert lines_and_reasons(dry) == lines_and_reasons(real)
    assert dry.imported == real.imported == children(db)
    assert real.imported + len(real.errors) == 7
    with db.session() as s:
        codes = list(s.scalars(select(Child.code)))
    assert len(set(codes)) == len(codes) and all(c.startswith("32010201012025") for c in codes)


# -- item 22: the file ------------------------------------------------------------------------


def test_a_field_over_128_kib_is_a_row_error_with_its_line(db: Database, tmp_path: Path) -> None:
    big = "路" * 200_000  # 600 KB in UTF-8: over Python's csv default of 128 KiB
    csv = write(
        tmp_path / "c.csv",
        HEADER + "\n张浩,男,2025-03-01,李梅,,,,,东风村,本地" + f"\n王五,男,2025-03-01,赵敏,,,,{big},东风村,本地"
        "\n赵六,男,2025-03-01,孙丽,,,,,东风村,本地\n",
    )
    for dry in (True, False):
        report = import_children(db, csv, dry_run=dry, today=TODAY)
        assert lines_and_reasons(report) == [(3, "字段过长（超过 1000 个字）：address")]
        assert report.imported == 2
    assert children(db) == 2


def test_a_field_over_the_csv_limit_refuses_the_file_naming_the_line(db: Database, tmp_path: Path) -> None:
    csv = write(
        tmp_path / "c.csv",
        HEADER
        + "\n张浩,男,2025-03-01,李梅,,,,,东风村,本地"
        + f"\n王五,男,2025-03-01,赵敏,,,,{'x' * (2 << 20)},东风村,本地\n",
    )
    with pytest.raises(EpiError, match=r"c\.csv 第 3 行：有一个字段超过 1024 KiB"):
        import_children(db, csv, dry_run=True, today=TODAY)
    with pytest.raises(EpiError, match="未导入任何数据"):
        import_children(db, csv, today=TODAY)
    assert children(db) == 0


def test_an_unbalanced_quote_refuses_the_file_naming_its_line(db: Database, tmp_path: Path) -> None:
    csv = write(
        tmp_path / "c.csv",
        HEADER
        + "\n张浩,男,2025-03-01,李梅,,,,,东风村,本地"
        + '\n王五,男,2025-03-01,赵敏,,,,"某路1号,东风村,本地'  # line 3: the quote never closes on its line
        + "\n赵六,男,2025-03-01,孙丽,,,,,东风村,本地"
        + '\n钱七,男,2025-03-01,周红,,,,某路"2号,东风村,本地\n',
    )
    with pytest.raises(EpiError, match="第 3 行：引号不成对"):
        import_children(db, csv, today=TODAY)
    assert children(db) == 0


def test_a_latin1_file_is_refused_naming_the_encoding_to_save_as(db: Database, tmp_path: Path) -> None:
    # GB18030 would read "Müller" as a rare Chinese character: mojibake, not a clinic's file
    csv = write(
        tmp_path / "c.csv", HEADER + "\nMüller Jürgen,m,2025-03-01,Müller Anna,,,,Grünstraße,Nord,x\n", "latin-1"
    )
    with pytest.raises(EpiError, match=r"可能是 Latin-1.*CSV UTF-8（逗号分隔）"):
        import_children(db, csv, today=TODAY)
    assert children(db) == 0


def test_a_file_in_no_known_encoding_is_refused(db: Database, tmp_path: Path) -> None:
    csv = write(tmp_path / "c.csv", HEADER + "\nJosé,m,2025-03-01,Zoë,,,,,Nord,x\n", "latin-1")
    with pytest.raises(EpiError, match="既不是 UTF-8 也不是 GB18030/GBK 编码"):
        import_children(db, csv, today=TODAY)


def test_a_nul_byte_is_a_row_error(db: Database, tmp_path: Path) -> None:
    csv = write(
        tmp_path / "c.csv",
        HEADER + "\n张浩,男,2025-03-01,李梅,,,,,东风村,本地\n王\x00五,男,2025-03-01,赵敏,,,,,东风村,本地\n",
    )
    report = import_children(db, csv, today=TODAY)
    assert lines_and_reasons(report) == [(3, "姓名含有不可见的控制字符（U+0000），请重新输入")]
    assert children(db) == 1


# -- item 22: the rows ------------------------------------------------------------------------


def test_full_width_superscript_and_arabic_indic_digits_are_read_as_ascii(db: Database, tmp_path: Path) -> None:
    fullwidth = BOY.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    superscript = GIRL[:-1] + "³"
    arabic = "٢٠٢٥-٠٣-٠١"  # 2025-03-01 in Arabic-Indic digits
    csv = write(
        tmp_path / "c.csv",
        HEADER
        + f"\n张浩,男,2025-03-01,李梅,,１３９１２３４５６７８,{fullwidth},,东风村,本地"
        + f"\n张丽,女,{arabic},李梅,,,{superscript},,东风村,本地\n",
    )
    report = import_children(db, csv, today=TODAY)
    assert (report.imported, report.errors) == (2, ())
    with db.session() as s:
        stored = s.execute(select(Child.name, Child.id_number, Child.phone, Child.birth_date).order_by(Child.id)).all()
    assert stored == [("张浩", BOY, "13912345678", date(2025, 3, 1)), ("张丽", GIRL, None, date(2025, 3, 1))]
    assert [r.name for r in search(db, BOY).rows] == ["张浩"]


def test_length_limits_per_field(db: Database, tmp_path: Path) -> None:
    csv = write(
        tmp_path / "c.csv",
        HEADER + ",remark" + f"\n张浩,男,2025-03-01,{'李' * 51},,,,{'路' * 201},东风村,本地,{'注' * 201}\n",
    )
    report = import_children(db, csv, today=TODAY)
    assert lines_and_reasons(report) == [
        (
            2,
            "母亲姓名过长（51 个字，最多 50 个）；家庭住址过长（201 个字，最多 200 个）；"
            "备注过长（201 个字，最多 200 个）",
        )
    ]


def test_repeated_rows_and_id_numbers_in_the_file_and_on_record_are_pointed_out(db: Database, tmp_path: Path) -> None:
    write(tmp_path / "a.csv", HEADER + f"\n张浩,男,2025-03-01,李梅,,,{BOY},,东风村,本地\n")
    assert import_children(db, tmp_path / "a.csv", today=TODAY).imported == 1
    csv = write(
        tmp_path / "b.csv",
        HEADER
        + f"\n张丽,女,2025-03-01,王芳,,,{GIRL},,东风村,本地"  # 2: new
        + f"\n张丽,女,2025-03-01,王芳,,,{GIRL},,东风村,本地"  # 3: the same row again
        + f"\n张莉,女,2025-03-01,王芳,,,{GIRL},,东风村,本地"  # 4: another name, same ID number
        + f"\n张好,男,2025-03-01,吴芳,,,{BOY},,东风村,本地"  # 5: on record (same ID number)
        + "\n张浩,男,2025-03-01,李梅,,,,,东风村,本地"  # 6: on record (name + birth date + mother)
        + "\n张浩,男,2025-03-01,赵敏,,,,,东风村,本地\n",  # 7: another 张浩 (another mother): new
    )
    dry = import_children(db, csv, dry_run=True, today=TODAY)
    report = import_children(db, csv, today=TODAY)
    code = "320102010120250001"
    expected = [
        (3, "与第 2 行完全相同（重复的行）"),
        (4, "身份证号与第 2 行相同"),
        (5, f"身份证号已属于在档儿童 {code}，未导入"),
        (6, f"与在档儿童 {code} 是同一儿童（姓名、出生日期、母亲姓名相同），未导入"),
    ]
    assert lines_and_reasons(dry) == lines_and_reasons(report) == expected
    assert report.imported == 2
    assert children(db) == 3


def test_exact_duplicate_dose_rows_are_pointed_out(db: Database, tmp_path: Path) -> None:
    write(tmp_path / "c.csv", HEADER + ",child_code\n张浩,男,2025-03-01,李梅,,,,,东风村,本地,320102010120250001\n")
    import_children(db, tmp_path / "c.csv", today=TODAY)
    doses = write(
        tmp_path / "d.csv",
        "child_code,vaccine,dose_number,date,batch,manufacturer,site,unit_code"
        "\n320102010120250001,HepB,1,2025-03-01,B001,康泰,右上臂,"
        "\n320102010120250001,HepB,1,2025-03-01,B001,康泰,右上臂,"
        f"\n320102010120250001,BCG,1,2025-03-02,{'B' * 41},,,\n",
    )
    report = import_doses(db, doses, today=TODAY)
    assert lines_and_reasons(report) == [(3, "与第 2 行完全相同（重复的行）"), (4, "批号过长（41 个字，最多 40 个）")]
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Dose)) == 1
