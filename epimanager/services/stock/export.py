"""Stock reports as tables (title, headers, rows), written as CSV or xlsx."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from epimanager.errors import ValidationError
from epimanager.services import table_files
from epimanager.services.stock.records import MovementRecord, vaccine_names
from epimanager.services.stock.reports import MonthlySummary, OnHandRow, SummaryRow
from epimanager.services.table_files import Sheet, csv_text, sheet_name


@dataclass(frozen=True)
class Table:
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


_SUMMARY_FIGURES = ("期初", "入库", "出库", "损耗", "盘点调整", "期末")


def summary_table(summary: MonthlySummary) -> Table:
    """The vaccine part of the monthly summary (人份), batch rows and a 小计 per vaccine."""
    headers = ("疫苗编码", "疫苗", "生产企业", "规格", "批号", "失效期", *_SUMMARY_FIGURES, "其中接种")
    return Table(summary.title, headers, _summary_rows(summary.rows, summary.vaccine_totals()))


def syringe_summary_table(summary: MonthlySummary) -> Table:
    """The syringe part of the monthly summary (支), batch rows and a 小计 per syringe type."""
    headers = ("注射器编码", "注射器", "名称", "生产企业", "规格", "批号", "失效期", *_SUMMARY_FIGURES, "其中接种使用")
    rows = tuple(
        (*r[:2], vaccine_names(r[0])[1], *r[2:]) for r in _summary_rows(summary.syringe_rows, summary.syringe_totals())
    )
    return Table(summary.syringe_title, headers, rows)


def _summary_rows(summary_rows: Sequence[SummaryRow], totals_list: Sequence[SummaryRow]) -> tuple[tuple[Any, ...], ...]:
    rows: list[tuple[Any, ...]] = []
    totals = {t.vaccine_code: t for t in totals_list}
    for i, r in enumerate(summary_rows):
        rows.append(
            (
                r.vaccine_code,
                r.vaccine_abbr,
                r.manufacturer,
                r.specification,
                r.batch_no,
                r.expiry,
                r.opening,
                r.received,
                r.issued,
                r.wasted,
                r.adjusted,
                r.closing,
                r.doses_given,
            )
        )
        last_of_code = i + 1 == len(summary_rows) or summary_rows[i + 1].vaccine_code != r.vaccine_code
        if last_of_code:
            t = totals[r.vaccine_code]
            rows.append(
                (
                    t.vaccine_code,
                    t.vaccine_abbr,
                    "",
                    "",
                    "小计",
                    None,
                    t.opening,
                    t.received,
                    t.issued,
                    t.wasted,
                    t.adjusted,
                    t.closing,
                    t.doses_given,
                )
            )
    return tuple(rows)


def summary_tables(summary: MonthlySummary) -> list[Table]:
    """Both parts: vaccines, then syringes (when the clinic keeps syringes)."""
    tables = [summary_table(summary)]
    if summary.syringe_rows:
        tables.append(syringe_summary_table(summary))
    return tables


def on_hand_table(rows: Sequence[OnHandRow], on: date | None = None) -> Table:
    headers = (
        "疫苗编码",
        "疫苗",
        "生产企业",
        "规格",
        "每瓶人份",
        "批号",
        "失效期",
        "剩余天数",
        "库存人份",
        "未开启瓶数",
        "开启瓶剩余人份",
        "状态",
        "单位",
    )
    body = tuple(
        (
            r.vaccine_code,
            r.vaccine_abbr,
            r.manufacturer,
            r.specification,
            r.doses_per_vial,
            r.batch_no,
            r.expiry,
            r.days_left,
            r.quantity,
            r.closed_vials,
            r.open_remaining,
            r.status,
            r.unit,
        )
        for r in rows
    )
    return Table(f"疫苗和注射器库存（{(on or date.today()).isoformat()}）", headers, body)


def movements_table(lines: Sequence[MovementRecord], title: str = "疫苗出入库明细") -> Table:
    headers = (
        "日期",
        "类型",
        "小类",
        "疫苗编码",
        "疫苗",
        "生产企业",
        "批号",
        "失效期",
        "数量",
        "结存",
        "单据号",
        "供货单位",
        "对方单位",
        "原因",
        "操作人",
        "接种记录",
    )
    body = tuple(
        (
            m.date,
            m.kind_label,
            m.subtype_label,
            m.vaccine_code,
            m.vaccine_abbr,
            m.manufacturer,
            m.batch_no,
            m.expiry,
            m.delta,
            m.balance,
            m.document_no,
            m.supplier,
            m.counterparty,
            m.reason,
            m.user,
            m.dose_uuid,
        )
        for m in lines
    )
    return Table(title, headers, body)


def table_csv(table: Table) -> str:
    return csv_text(table.headers, table.rows)


def write_csv(table: Table, path: Path) -> Path:
    """UTF-8 with BOM, so that Excel on a Chinese Windows opens it correctly."""
    table_files.write_csv(path, table.headers, table.rows)
    return path


def write_xlsx(tables: Iterable[Table], path: Path) -> Path:
    """One sheet per table: a title row, a bold header row, then the rows (dates as dates)."""
    table_files.write_xlsx(
        path,
        [
            Sheet(
                sheet_name(t.title, i),
                t.headers,
                t.rows,
                title=t.title,
                freeze="A3",
                widths=[max(10, len(h) * 2 + 2) for h in t.headers],
            )
            for i, t in enumerate(tables)
        ],
    )
    return path


def write_table(table: Table, path: Path, fmt: str) -> Path:
    if fmt == "csv":
        return write_csv(table, path)
    if fmt == "xlsx":
        return write_xlsx([table], path)
    raise ValidationError(f"导出格式应为 csv 或 xlsx：{fmt}")
