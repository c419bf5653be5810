"""The 疑似预防接种异常反应个案报告卡 as rows (for xlsx and print) and its xlsx export.

The card's sections follow the national form: 基本情况, 疫苗接种情况, 反应情况, 报告; the values are
the case's as stored. The xlsx has a 一览 sheet (one row per case) and one sheet per card.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from epimanager.services.aefi_records import AefiRecord
from epimanager.services.table_files import Sheet, write_xlsx

TITLE = "疑似预防接种异常反应个案报告卡"
#: the form's section headings (a row of its own, no value)
SECTIONS = frozenset({"一、基本情况", "二、疫苗接种情况", "三、反应情况", "四、报告"})


def _when(v: datetime | None) -> str:
    return v.strftime("%Y-%m-%d %H:%M") if v is not None else ""


def card_rows(case: AefiRecord, unit_name: str, now: datetime | None = None) -> list[tuple[str, str]]:
    """(项目, 内容) in the form's order; a section heading (:data:`SECTIONS`) has an empty 内容."""
    now = now or datetime.now()
    symptoms = "；".join(case.symptom_names) or "（无）"
    ups = "；".join(
        f"{f.date.isoformat()} {f.text}" + (f"（{f.outcome}）" if f.outcome else "") for f in case.follow_ups
    )
    return [
        ("个案编号", case.uuid),
        ("一、基本情况", ""),
        ("姓名", case.child_name),
        ("性别", case.child_sex),
        ("出生日期", case.child_birth.isoformat()),
        ("儿童编码", case.child_code),
        ("监护人", case.guardian or ""),
        ("联系电话", case.phone or ""),
        ("现住址", case.address or ""),
        ("二、疫苗接种情况", ""),
        ("疫苗名称", f"{case.vaccine_name}（{case.vaccine_code}）"),
        ("生产企业", case.manufacturer or ""),
        ("疫苗批号", case.batch_no or ""),
        ("接种剂次", f"第{case.dose_number}剂"),
        ("接种日期", case.dose_date.isoformat()),
        ("接种时间", _when(case.dose_time)),
        ("三、反应情况", ""),
        ("反应发生时间", _when(case.onset_at)),
        ("发现时间", _when(case.discovered_at)),
        ("主要临床症状（体征）", symptoms),
        ("临床经过描述", case.symptom_text or ""),
        ("初步临床诊断", case.diagnosis or ""),
        ("严重程度", case.severity),
        ("是否群体性反应", "是" if case.group_event else "否"),
        ("病例转归", case.outcome or "（未填）"),
        ("随访记录", ups),
        ("四、报告", ""),
        ("报告时限", f"{case.limit_text}（{_when(case.deadline)} 前）"),
        ("报告单位", unit_name),
        ("报告人", case.reporter or ""),
        ("报告时间", _when(case.reported_at) or f"未报告（{case.time_left(now)}）"),
    ]


LIST_HEADER = (
    "个案编号",
    "儿童编码",
    "姓名",
    "性别",
    "出生日期",
    "疫苗",
    "批号",
    "剂次",
    "接种日期",
    "发病时间",
    "主要症状",
    "严重程度",
    "转归",
    "报告时限",
    "报告时间",
)


def list_row(c: AefiRecord) -> tuple[object, ...]:
    return (
        c.uuid,
        c.child_code,
        c.child_name,
        c.child_sex,
        c.child_birth,
        c.vaccine_name,
        c.batch_no or "",
        c.dose_number,
        c.dose_date,
        _when(c.onset_at),
        "；".join(c.symptom_names),
        c.severity,
        c.outcome or "",
        _when(c.deadline),
        _when(c.reported_at),
    )


def export_xlsx(cases: Sequence[AefiRecord], path: Path, unit_name: str, now: datetime | None = None) -> int:
    """Write the cards (a 一览 sheet, then one sheet per card). Returns the number of cards."""
    sheets = [Sheet("一览", LIST_HEADER, [list_row(c) for c in cases], title=f"{TITLE}一览（{unit_name}）")]
    for i, c in enumerate(cases, start=1):
        sheets.append(
            Sheet(
                f"{i}-{c.child_name}",
                ("项目", "内容"),
                card_rows(c, unit_name, now),
                title=TITLE,
                widths=(22, 70),
            )
        )
    write_xlsx(path, sheets)
    return len(cases)
