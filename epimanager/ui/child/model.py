"""The 接种登记 grid: one row per vaccine, dose columns grouped 常规 / 应急 / 强化 / 防病需要.

Rows are the vaccines the child has doses of plus the ones the forecast
proposes, in the catalog's class (大类) order.  The first columns show the
forecast for the vaccine's series (state with colour *and* text, next dose,
earliest date); each dose cell shows the date and, as the user chose, where
it was given (外地 / unit name / unit code), its evaluation, batch, etc.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QColor, QFont

from epimanager.domain.catalog import Vaccine
from epimanager.domain.codes import DoseAttribute
from epimanager.domain.schedule import DoseEvaluation, Forecast, SeriesForecast, SeriesStatus
from epimanager.resources import catalog
from epimanager.services.next_visit import next_dose_number
from epimanager.services.records import ChildRecord, DoseRecord
from epimanager.settings import PlaceDisplay
from epimanager.ui.code_labels import tr_code
from epimanager.ui.i18n import QT_TRANSLATE_NOOP

_Index = QModelIndex | QPersistentModelIndex
DOSE_ROLE = Qt.ItemDataRole.UserRole + 1
STATUS_ROLE = Qt.ItemDataRole.UserRole + 2
VACCINE_ROLE = Qt.ItemDataRole.UserRole + 3

#: Column groups of dose attributes (SEED: 常规 / 应急 / 强化 / 防病需要).  加强 and 补种 are
#: doses of the routine schedule, so they sit with 常规.
GROUPS: tuple[tuple[str, tuple[DoseAttribute, ...], int], ...] = (
    (
        QT_TRANSLATE_NOOP("Grid", "常规"),
        (DoseAttribute.ROUTINE, DoseAttribute.BOOSTER, DoseAttribute.CATCH_UP),
        4,
    ),
    (QT_TRANSLATE_NOOP("Grid", "应急"), (DoseAttribute.EMERGENCY,), 1),
    (QT_TRANSLATE_NOOP("Grid", "强化"), (DoseAttribute.CAMPAIGN,), 1),
    (QT_TRANSLATE_NOOP("Grid", "防病需要"), (DoseAttribute.DISEASE_PREVENTION,), 1),
)
GROUP_OF: dict[int, int] = {int(a): g for g, (_n, attrs, _m) in enumerate(GROUPS) for a in attrs}

#: Forecast state → (label source text, background colour).  Never colour alone.
STATUS_STYLE: dict[SeriesStatus, tuple[str, str]] = {
    SeriesStatus.OVERDUE: (QT_TRANSLATE_NOOP("Grid", "超期未种"), "#f6b3b3"),
    SeriesStatus.DUE: (QT_TRANSLATE_NOOP("Grid", "应种"), "#ffd97a"),
    SeriesStatus.NOT_YET: (QT_TRANSLATE_NOOP("Grid", "未到期"), "#dfe7f1"),
    SeriesStatus.COMPLETE: (QT_TRANSLATE_NOOP("Grid", "已完成"), "#bfe6bf"),
    SeriesStatus.AGED_OUT: (QT_TRANSLATE_NOOP("Grid", "超龄不再接种"), "#e2e2e2"),
    SeriesStatus.DEFERRED: (QT_TRANSLATE_NOOP("Grid", "暂缓"), "#e6d3f2"),
    SeriesStatus.CONTRAINDICATED: (QT_TRANSLATE_NOOP("Grid", "禁忌"), "#c9c9c9"),
}
_URGENCY = (
    SeriesStatus.OVERDUE, SeriesStatus.DUE, SeriesStatus.DEFERRED, SeriesStatus.CONTRAINDICATED, SeriesStatus.NOT_YET,
    SeriesStatus.COMPLETE, SeriesStatus.AGED_OUT,
)  # fmt: skip
FIXED_COLUMNS = ("vaccine", "status", "next_dose", "earliest")
_FIXED_TITLES = {
    "vaccine": QT_TRANSLATE_NOOP("Grid", "疫苗"),
    "status": QT_TRANSLATE_NOOP("Grid", "状态"),
    "next_dose": QT_TRANSLATE_NOOP("Grid", "下一剂"),
    "earliest": QT_TRANSLATE_NOOP("Grid", "最早日期"),
}
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩"


def tr(text: str) -> str:
    return QCoreApplication.translate("Grid", text)


def status_label(status: SeriesStatus) -> str:
    return tr(STATUS_STYLE[status][0])


@dataclass(frozen=True)
class Row:
    vaccine: Vaccine
    forecast: SeriesForecast | None
    #: (group index, dose-column number (1-based), repeat) → dose; in 常规 the column number is the
    #: dose number on record, and a second record of one number (a repeat after an invalid dose, a
    #: confirmed correction) takes a repeat column under the same number
    cells: dict[tuple[int, int, int], DoseRecord]


@dataclass(frozen=True)
class Column:
    key: str  # fixed column key or "dose"
    group: int = -1
    number: int = 0
    repeat: int = 0


def series_status(forecast: Forecast, vac: Vaccine) -> SeriesForecast | None:
    """The most urgent forecast among the series ``vac`` counts for."""
    found = [f for s in vac.counts_for if (f := forecast.for_series(s)) is not None]
    if not found:
        return None
    return min(found, key=lambda f: _URGENCY.index(f.status))


def evaluations(forecast: Forecast | None) -> dict[tuple[str, date], DoseEvaluation]:
    """(vaccine code, date) → the evaluation to show (an invalid one wins)."""
    out: dict[tuple[str, date], DoseEvaluation] = {}
    if forecast is None:
        return out
    for ev in forecast.doses:
        key = (ev.vaccine, ev.date)
        if key not in out or (out[key].valid and not ev.valid):
            out[key] = ev
    return out


class VaccinationModel(QAbstractTableModel):
    """Read-only; the view edits through the dose dialog."""

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[Row] = []
        self._columns: list[Column] = [Column("vaccine")]
        self._evals: dict[tuple[str, date], DoseEvaluation] = {}
        self.grid_fields: tuple[str, ...] = ()
        self.place_display = PlaceDisplay.NAME
        self.own_unit = ""
        self.unit_names: dict[str, str] = {}
        self.child: ChildRecord | None = None
        self.forecast: Forecast | None = None

    # -- loading ------------------------------------------------------------------

    def configure(
        self, grid_fields: tuple[str, ...], place: PlaceDisplay, own_unit: str, unit_names: dict[str, str]
    ) -> None:
        self.grid_fields, self.place_display = grid_fields, place
        self.own_unit, self.unit_names = own_unit, unit_names
        self.set_child(self.child, self.forecast)

    def set_child(self, child: ChildRecord | None, forecast: Forecast | None) -> None:
        self.beginResetModel()
        self.child, self.forecast = child, forecast
        self._evals = evaluations(forecast)
        self._rows = self._build_rows(child, forecast)
        self._columns = self._build_columns()
        self.endResetModel()

    def _build_rows(self, child: ChildRecord | None, forecast: Forecast | None) -> list[Row]:
        if child is None:
            return []
        cat = catalog()
        by_vaccine: dict[str, list[DoseRecord]] = {}
        for d in child.doses:
            by_vaccine.setdefault(d.vaccine_code, []).append(d)
        codes = set(by_vaccine)
        if forecast is not None:
            covered = {s for c in codes if (v := cat.get(c)) for s in v.counts_for}
            for f in forecast.series:
                if f.vaccine and f.series not in covered and f.status is not SeriesStatus.AGED_OUT:
                    codes.add(f.vaccine)
                    covered.add(f.series)
        rows = []
        for vac in cat.sorted(v for c in codes if (v := cat.get(c)) is not None):
            cells: dict[tuple[int, int, int], DoseRecord] = {}
            counters: dict[int, int] = {}
            for d in sorted(by_vaccine.get(vac.code, []), key=lambda d: (d.date, d.dose_number)):
                g = GROUP_OF.get(d.attribute, 0)
                if g == 0:
                    n, k = d.dose_number, 0
                    while (g, n, k) in cells:  # the same number again: a repeat column under it
                        k += 1
                else:
                    counters[g] = counters.get(g, 0) + 1
                    n, k = counters[g], 0
                cells[(g, n, k)] = d
            fc = series_status(forecast, vac) if forecast is not None else None
            rows.append(Row(vac, fc, cells))
        return rows

    def _build_columns(self) -> list[Column]:
        cols = [Column("vaccine")] + [Column(k) for k in FIXED_COLUMNS[1:] if k in self.grid_fields]
        for g, (_name, _attrs, minimum) in enumerate(GROUPS):
            used = max((n for r in self._rows for (gg, n, _k) in r.cells if gg == g), default=0)
            for n in range(1, max(minimum, used) + 1):
                repeats = max((k for r in self._rows for (gg, nn, k) in r.cells if (gg, nn) == (g, n)), default=0)
                cols.extend(Column("dose", g, n, k) for k in range(repeats + 1))
        return cols

    # -- access -------------------------------------------------------------------

    def row(self, r: int) -> Row:
        return self._rows[r]

    def column(self, c: int) -> Column:
        return self._columns[c]

    def dose_at(self, index: _Index) -> DoseRecord | None:
        if not index.isValid():
            return None
        col = self._columns[index.column()]
        if col.key != "dose":
            return None
        return self._rows[index.row()].cells.get((col.group, col.number, col.repeat))

    def row_of_vaccine(self, code: str) -> int:
        return next((i for i, r in enumerate(self._rows) if r.vaccine.code == code), -1)

    def index_of_dose(self, uuid: str) -> QModelIndex:
        for r, row in enumerate(self._rows):
            for (g, n, k), d in row.cells.items():
                if d.uuid == uuid:
                    c = next(
                        i for i, col in enumerate(self._columns) if (col.group, col.number, col.repeat) == (g, n, k)
                    )
                    return self.index(r, c)
        return QModelIndex()

    def _next_number(self, fc: SeriesForecast) -> int | None:
        """The next missing dose number (the dose form proposes the same)."""
        if self.forecast is None or self.child is None or not fc.vaccine:
            return None
        return next_dose_number(self.forecast, self.child.doses, fc.series)

    def evaluation(self, d: DoseRecord) -> DoseEvaluation | None:
        return self._evals.get((d.vaccine_code, d.date))

    # -- Qt model -----------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or section >= len(self._columns):
            return None
        col = self._columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            if col.key == "dose":
                number = _CIRCLED[col.number - 1] if col.number <= 10 else str(col.number)
                return f"{tr(GROUPS[col.group][0])}\n{number}{'′' * col.repeat}"
            return tr(_FIXED_TITLES[col.key])
        if role == Qt.ItemDataRole.ToolTipRole and col.key == "dose" and col.repeat:
            return QCoreApplication.translate("Grid", "同一剂次的另一条记录（无效后重种或更正）")
        if role == Qt.ItemDataRole.BackgroundRole and col.key == "dose":
            return QColor(("#eef3fb", "#fbeeee", "#f3eefb", "#eef8ee")[col.group])
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        col = self._columns[index.column()]
        if col.key == "dose":
            return self._dose_data(row, col, role)
        fc = row.forecast
        if role == VACCINE_ROLE:
            return row.vaccine.code
        if role == Qt.ItemDataRole.DisplayRole:
            if col.key == "vaccine":
                return f"{row.vaccine.name}\n{row.vaccine.abbr}"
            if fc is None:  # not in the immunization schedule (e.g. Hib, 流感): nothing to forecast
                return QCoreApplication.translate("Grid", "不预测") if col.key == "status" else ""
            if col.key == "status":
                return status_label(fc.status)
            if col.key == "next_dose":
                number = self._next_number(fc)
                return QCoreApplication.translate("Grid", "第%1剂").replace("%1", str(number)) if number else ""
            if col.key == "earliest":
                return fc.earliest.isoformat() if fc.earliest and fc.status is not SeriesStatus.AGED_OUT else ""
        if role == STATUS_ROLE:
            return fc.status.value if fc else None
        if role == Qt.ItemDataRole.BackgroundRole and col.key in ("status", "earliest") and fc is not None:
            return QColor(STATUS_STYLE[fc.status][1])
        if (
            role == Qt.ItemDataRole.FontRole
            and col.key == "status"
            and fc is not None
            and fc.status in (SeriesStatus.DUE, SeriesStatus.OVERDUE)
        ):
            f = QFont()
            f.setBold(True)
            return f
        if role == Qt.ItemDataRole.ToolTipRole and col.key == "vaccine":
            return row.vaccine.full_name
        if role == Qt.ItemDataRole.ToolTipRole and col.key in ("status", "next_dose", "earliest") and fc and fc.notes:
            return "\n".join(fc.notes)
        if role == Qt.ItemDataRole.ToolTipRole and col.key == "status" and fc is None:
            return QCoreApplication.translate("Grid", "该疫苗不在免疫程序中，不做接种预测")
        return None

    def _dose_data(self, row: Row, col: Column, role: int) -> Any:
        d = row.cells.get((col.group, col.number, col.repeat))
        if d is None:
            if role == VACCINE_ROLE:
                return row.vaccine.code
            return None
        ev = self.evaluation(d)
        if role == DOSE_ROLE:
            return d
        if role == VACCINE_ROLE:
            return d.vaccine_code
        if role == Qt.ItemDataRole.DisplayRole:
            return "\n".join(self._dose_lines(d, ev))
        if role == Qt.ItemDataRole.ForegroundRole and ev is not None and not ev.valid:
            return QColor("#b00020")
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._dose_tooltip(d, ev)
        return None

    def place_text(self, d: DoseRecord) -> str:
        elsewhere = QCoreApplication.translate("Grid", "外地")
        own = d.unit_code == self.own_unit
        if self.place_display is PlaceDisplay.OTHER:
            return "" if own else elsewhere
        if self.place_display is PlaceDisplay.CODE:
            return d.unit_code or elsewhere
        if own:
            return QCoreApplication.translate("Grid", "本单位")
        if d.unit_code and d.unit_code in self.unit_names:
            return self.unit_names[d.unit_code]
        return d.place_text or d.unit_code or elsewhere

    def _dose_lines(self, d: DoseRecord, ev: DoseEvaluation | None) -> list[str]:
        lines = [d.date.isoformat()]
        second = []
        if "place" in self.grid_fields and (place := self.place_text(d)):
            second.append(place)
        if "evaluation" in self.grid_fields and ev is not None and ev.evaluation is not None:
            mark = "" if ev.valid else "✗"
            second.append(mark + tr(ev.evaluation.value))
        if second:
            lines.append(" · ".join(second))
        third = [
            v
            for key, v in (("batch", d.batch_no), ("manufacturer", d.manufacturer), ("nurse", d.nurse))
            if key in self.grid_fields and v
        ]
        if third:
            lines.append(" · ".join(third))
        return lines

    def _dose_tooltip(self, d: DoseRecord, ev: DoseEvaluation | None) -> str:
        parts = [
            f"{d.vaccine_name}（{d.vaccine_abbr}） "
            + QCoreApplication.translate("Grid", "第%1剂").replace("%1", str(d.dose_number)),
            QCoreApplication.translate("Grid", "日期：") + d.date.isoformat(),
            QCoreApplication.translate("Grid", "属性：") + tr_code(d.attribute_label),
            QCoreApplication.translate("Grid", "地点：")
            + (self.place_text(d) or self.unit_names.get(self.own_unit, self.own_unit)),
        ]
        if ev is not None and ev.evaluation is not None:
            parts.append(QCoreApplication.translate("Grid", "评价：") + tr(ev.evaluation.value))
        if d.batch_no:
            parts.append(
                QCoreApplication.translate("Grid", "批号：")
                + d.batch_no
                + (f"（{d.manufacturer}）" if d.manufacturer else "")
            )
        if d.nurse:
            parts.append(QCoreApplication.translate("Grid", "接种护士：") + d.nurse)
        return "\n".join(parts)
