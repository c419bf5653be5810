"""Write a generated report (its JSON shape) as CSV or xlsx."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from epimanager.domain.reports import COLUMN_LABELS
from epimanager.services.table_files import Sheet, csv_text, write_xlsx


def rate(given: int, due: int) -> str:
    """接种率 as printed: 实种/应种 × 100 %, one decimal; '—' when nothing was due."""
    return f"{100.0 * given / due:.1f}%" if due else "—"


def table(report: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """The report as a header row and data rows (what CSV, xlsx and the GUI show)."""
    kind = report["report"]
    if kind == "6-1":
        cols = report["columns"]
        header = ["区域划分", "项目", *[COLUMN_LABELS.get(c, c) for c in cols]]
        rows: list[list[Any]] = []
        for name, block in [*[(r["committee"], r) for r in report["rows"]], ("合计", report["total"])]:
            rows.append([name, "应种", *[block["due"][c] for c in cols]])
            rows.append([name, "实种", *[block["given"][c] for c in cols]])
            rows.append([name, "接种率", *[rate(block["given"][c], block["due"][c]) for c in cols]])
        return header, rows
    if kind == "6-2":
        return ["疫苗编码", "疫苗名称", "接种剂次数"], [
            *[[r["code"], r["vaccine"], r["doses"]] for r in report["rows"]],
            ["", "合计", report["total"]],
        ]
    if kind == "consumption":
        return ["日期", "疫苗编码", "疫苗名称", "批号", "生产企业", "剂次"], [
            *[[r["date"], r["code"], r["vaccine"], r["batch"], r["manufacturer"], r["doses"]] for r in report["rows"]],
            ["合计", "", "", "", "", report["total"]],
        ]
    if kind == "cases":
        out: list[list[Any]] = []
        out += [["在册情况", k, v] for k, v in report["by_status"].items()]
        out += [["年龄组（本单位管理）", k, v] for k, v in report["managed_by_age"].items()]
        out += [["区域划分（本单位管理）", k, v] for k, v in report["managed_by_committee"].items()]
        out += [
            ["本月变动", "新建档", report["new_registrations"]],
            ["本月变动", "外地转来", report["moved_in"]],
            ["本月变动", "迁出", report["moved_out"]],
            ["本月变动", "死亡", report["deaths"]],
        ]
        return ["分类", "项目", "人数"], out
    raise ValueError(kind)


def title_line(report: dict[str, Any]) -> str:
    extra = f"　居住属性：{report['residence']}" if report.get("residence") else ""
    return f"{report['title']}　{report['month']}　{report['unit']} {report['unit_name']}{extra}"


def to_csv(report: dict[str, Any]) -> str:
    return csv_text(*table(report))


def to_xlsx(report: dict[str, Any], path: Path) -> None:
    header, rows = table(report)
    freeze = "C3" if report["report"] == "6-1" else "A3"
    write_xlsx(path, [Sheet(report["report"], header, rows, title=title_line(report), freeze=freeze)])
