"""The day summary of the clinic flow as an xlsx workbook (one sheet per part)."""

from __future__ import annotations

from pathlib import Path

from epimanager.services.table_files import Sheet, write_xlsx
from epimanager.services.visit_summary import DaySummary

STEP_HEADER = ("步骤", "人数")
WAIT_HEADER = ("步骤", "叫号人数", "等候中位数（分钟）", "等候第90百分位（分钟）")
SHORT_HEADER = ("号", "留观（分钟）", "原因")


def sheets(s: DaySummary, unit_name: str = "") -> list[Sheet]:
    title = f"{unit_name} 接种流程日汇总 {s.day.isoformat()}".strip()
    steps = [
        *[(step, n) for step, n in s.by_step.items()],
        ("合计取号", s.tickets),
        ("其中预约", s.booked),
        ("过号未到", len(s.no_shows)),
    ]
    waits = [(w.step, w.count, w.median_minutes, w.p90_minutes) for w in s.waits]
    short = [(o.ticket, o.minutes, o.reason or "") for o in s.short_observation]
    no_shows = [(t,) for t in s.no_shows]
    return [
        Sheet("各步骤人数", STEP_HEADER, steps, title=title, widths=(14, 10)),
        Sheet("等候时间", WAIT_HEADER, waits, title=title, widths=(10, 10, 18, 22)),
        Sheet(f"留观不足{s.observe_minutes}分钟", SHORT_HEADER, short, title=title, widths=(8, 14, 40)),
        Sheet("过号未到", ("号",), no_shows, title=title, widths=(10,)),
    ]


def export_xlsx(s: DaySummary, path: Path, unit_name: str = "") -> Path:
    write_xlsx(path, sheets(s, unit_name))
    return path
