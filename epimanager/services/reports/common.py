"""What the monthly reports share: their kinds and titles, the month and 居住属性 arguments."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from epimanager.domain.codes import Residence
from epimanager.domain.reports import month_bounds
from epimanager.errors import ValidationError

Progress = Callable[[int, int], None]

KINDS: dict[str, str] = {
    "6-1": "表6-1 国家免疫规划疫苗常规接种情况报表",
    "6-2": "表6-2 第二类疫苗接种情况报表",
    "consumption": "疫苗消耗日志",
    "cases": "个案统计分析月报",
}
UNASSIGNED = "（未划分）"


def parse_period(period: str) -> tuple[date, date]:
    try:
        return month_bounds(period)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


def parse_residence(text: str | None) -> int | None:
    """本地/流动/临时 (or 1/2/3) → code; 合计/None → None (all)."""
    if text is None or text.strip() in ("", "合计", "all"):
        return None
    try:
        return int(Residence.parse(text))
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
