"""What is printed: the monthly reports and the query lists as :class:`PrintTable` (no Qt).

表6-1 is laid out like the paper form: the vaccine over its dose numbers in a two-row header, one
block of rows per 区域划分 (应种 / 实种 / 接种率) kept on one page, the 合计 block last, in bold.
The words are the form's (Chinese, as in the exported xlsx).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from epimanager.services.reports.export import rate, table
from epimanager.ui.print.layout import Align, Column, PrintTable

#: 表6-1 column key → (vaccine, dose) as printed; a vaccine with one column has no dose row.
_VACCINES: tuple[tuple[str, str], ...] = (
    ("HepB", "乙肝疫苗"),
    ("BCG", "卡介苗"),
    ("PV", "脊灰疫苗"),
    ("DTaP", "百白破疫苗"),
    ("DT", "白破疫苗"),
    ("MMR", "麻腮风疫苗"),
    ("MR", "麻风疫苗"),
    ("MM", "麻腮疫苗"),
    ("MV", "麻疹疫苗"),
    ("MenAC", "A群C群流脑疫苗"),
    ("MenA", "A群流脑疫苗"),
    ("JEL", "乙脑减毒活疫苗"),
    ("JEI", "乙脑灭活疫苗"),
    ("HepAL", "甲肝减毒活疫苗"),
    ("HepAI", "甲肝灭活疫苗"),
    ("HPV", "HPV疫苗"),
)
_SINGLE = {"BCG", "DT", "HepAL"}


def column_6_1(key: str) -> tuple[str, ...]:
    """The header path of a 表6-1 column: ``HepB2`` → (乙肝疫苗, 第2剂); ``BCG`` → (卡介苗,)."""
    if key == "HepB1_24h":
        return ("乙肝疫苗", "首针及时")
    for prefix, name in _VACCINES:
        if key.startswith(prefix) and key[len(prefix) :].isdigit():
            return (name, f"第{key[len(prefix) :]}剂")
        if key == prefix and key in _SINGLE:
            return (name,)
    return (key,)


def signature_line(printed_on: date) -> str:
    return f"填表人：__________　审核人：__________　填表日期：{printed_on.isoformat()}"


def report_lines(report: dict[str, Any]) -> tuple[str, ...]:
    extra = f"　　居住属性：{report['residence']}" if report.get("residence") else ""
    return (f"报告单位：{report['unit']} {report['unit_name']}　　报告月份：{report['month']}{extra}",)


def report_6_1(report: dict[str, Any], printed_on: date) -> PrintTable:
    cols = report["columns"]
    columns = (
        Column(("区域划分",), key=True, merge=True),
        Column(("项目",), key=True, align="center"),
        *(Column(column_6_1(c), align="right") for c in cols),
    )
    rows: list[tuple[str, ...]] = []
    blocks = [*[(r["committee"], r) for r in report["rows"]], ("合计", report["total"])]
    for name, block in blocks:
        due, given = block["due"], block["given"]
        rows.append((name, "应种", *(str(due[c]) for c in cols)))
        rows.append(("", "实种", *(str(given[c]) for c in cols)))
        rows.append(("", "接种率", *(rate(given[c], due[c]) for c in cols)))
    total = len(rows) - 3
    return PrintTable(
        title=report["title"],
        lines=report_lines(report),
        columns=columns,
        rows=tuple(rows),
        groups=(3,) * len(blocks),
        bold_rows=frozenset(range(total, total + 3)),
        footer=signature_line(printed_on),
    )


def report_table(report: dict[str, Any], printed_on: date) -> PrintTable:
    """Any generated report as printed (表6-1 as the paper form; the others as their table)."""
    if report["report"] == "6-1":
        return report_6_1(report, printed_on)
    header, rows = table(report)
    text_rows = [tuple("" if v is None else str(v) for v in r) for r in rows]
    groups: tuple[int, ...] = ()
    merge = report["report"] == "cases"
    if merge:  # one block per 分类, its name once
        sizes: list[int] = []
        for i, r in enumerate(rows):
            if i and r[0] == rows[i - 1][0]:
                sizes[-1] += 1
                text_rows[i] = ("", *text_rows[i][1:])
            else:
                sizes.append(1)
        groups = tuple(sizes)
    numeric = [all(_numeric(r[c]) for r in text_rows if r[c]) for c in range(len(header))]
    return PrintTable(
        title=report["title"],
        lines=report_lines(report),
        columns=tuple(
            Column((h,), key=c == 0, align="right" if numeric[c] else "left", merge=merge and c == 0)
            for c, h in enumerate(header)
        ),
        rows=tuple(text_rows),
        groups=groups,
        bold_rows=frozenset({len(text_rows) - 1}) if report["report"] != "cases" and text_rows else frozenset(),
        footer=signature_line(printed_on),
    )


def _numeric(text: str) -> bool:
    return text.replace(".", "", 1).replace("%", "").replace("-", "", 1).isdigit()


def list_table(
    title: str,
    lines: Sequence[str],
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    keys: Sequence[str] = ("序号", "儿童编码", "姓名"),
    numbered: bool = True,
    footer: str = "",
) -> PrintTable:
    """A query list as printed: a 序号 column first, the identifying columns repeated on every band."""
    header = ["序号", *columns] if numbered else list(columns)
    body = [(str(n + 1), *r) if numbered else tuple(r) for n, r in enumerate(rows)]
    aligns: list[Align] = []
    for c in range(len(header)):
        values = [r[c] for r in body if r[c]]
        aligns.append("right" if values and all(_numeric(v) for v in values) and len(values[0]) < 6 else "left")
    return PrintTable(
        title=title,
        lines=tuple(lines),
        columns=tuple(Column((h,), key=h in keys, align=aligns[c]) for c, h in enumerate(header)),
        rows=tuple(tuple(r) for r in body),
        footer=footer,
    )
