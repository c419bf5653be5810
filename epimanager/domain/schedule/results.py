"""What the engine returns: per-series forecasts and per-dose evaluations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, NamedTuple

#: a result tuple from every one of its fields, without the generated ``__new__`` (half the time; the
#: engine makes one per dose and series): ``make(DoseEvaluation, (vaccine, date, series, number, evaluation, note))``
make = tuple.__new__


class SeriesStatus(StrEnum):
    """Where a child stands in a series on the forecast date."""

    COMPLETE = "complete"
    #: the next dose's earliest date is after the forecast date
    NOT_YET = "not_yet"
    DUE = "due"
    #: past the complete-before age, catch-up still allowed
    OVERDUE = "overdue"
    #: no longer given (past the series' maximum or catch-up age)
    AGED_OUT = "aged_out"
    #: 预检 deferred it (暂缓): not before ``earliest`` (set by the services, never by the engine)
    DEFERRED = "deferred"
    #: 预检 found a contraindication (禁忌) until a 业务管理员 lifts it (set by the services)
    CONTRAINDICATED = "contraindicated"

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]


_STATUS_LABELS = {
    SeriesStatus.COMPLETE: "已完成",
    SeriesStatus.NOT_YET: "未到期",
    SeriesStatus.DUE: "应种",
    SeriesStatus.OVERDUE: "超期未种",
    SeriesStatus.AGED_OUT: "超龄不再接种",
    SeriesStatus.DEFERRED: "暂缓",
    SeriesStatus.CONTRAINDICATED: "禁忌",
}


class Evaluation(StrEnum):
    """The label a dose record gets (接种评价); the value is what the UI shows."""

    #: valid and given on time (within ``timely_within`` of its earliest date)
    TIMELY = "及时"
    #: valid, later than timely but before the complete-before age
    ELIGIBLE = "合格"
    #: valid, given after the complete-before age
    LATE = "超期"
    #: dose 1 given before its minimum age (invalid)
    FIRST_DOSE_EARLY = "首针提前"
    #: a later dose given before its minimum age (invalid)
    TOO_YOUNG = "未到月龄"
    #: given before the minimum interval from an earlier valid dose (invalid)
    INTERVAL_SHORT = "间短"
    #: injectable live vaccine 1–27 days after another one (invalid)
    LIVE_SPACING = "活苗间隔不足"
    #: given too soon after an immunoglobulin or blood product (invalid)
    IG_SPACING = "免疫球蛋白间隔不足"
    #: given at or after the series' maximum age (invalid)
    AGED_OUT = "超龄"
    #: the series was already complete (not counted)
    EXTRA = "多余剂次"
    #: this product is not accepted for this dose / track (invalid)
    WRONG_PRODUCT = "品种不符"
    #: the series does not apply to this child or was not in force (invalid)
    NOT_APPLICABLE = "不适用"

    @property
    def valid(self) -> bool:
        return self in _VALID


_VALID = frozenset({Evaluation.TIMELY, Evaluation.ELIGIBLE, Evaluation.LATE})


class DoseEvaluation(NamedTuple):
    """How one recorded dose counts in one series (immutable).

    A combination vaccine yields one evaluation per series it counts for; a
    vaccine outside every series (e.g. 流感) yields one with ``series=None``.
    """

    vaccine: str
    date: date
    series: str | None
    dose_number: int | None
    evaluation: Evaluation | None
    #: advice recorded with the dose (e.g. HBIG for a HBsAg-positive mother)
    note: str | None = None

    @property
    def valid(self) -> bool:
        return self.evaluation is None or self.evaluation.valid

    @property
    def reason(self) -> str | None:
        """Why the dose is invalid (Chinese label), or None when valid."""
        if self.evaluation is None or self.evaluation.valid:
            return None
        return self.evaluation.value


class SeriesForecast(NamedTuple):
    """One series on the forecast date (immutable)."""

    series: str
    name: str
    doses_counted: int
    #: 1-based number of the next dose; None when complete or aged out
    next_dose: int | None
    #: product code to give (None when complete or aged out)
    vaccine: str | None
    earliest: date | None
    complete_before: date | None
    status: SeriesStatus
    #: track followed (JE-L / JE-I …)
    track: str
    #: what the nurse should know about the next dose (需PPD试验阴性, HBIG, why it is later …)
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Forecast:
    """A child's evaluated history and forecast on ``as_of``."""

    as_of: date
    schedule: str
    series: tuple[SeriesForecast, ...]
    doses: tuple[DoseEvaluation, ...]

    def for_series(self, series: str) -> SeriesForecast | None:
        for s in self.series:
            if s.series == series:
                return s
        return None

    def to_dict(self, abbr: dict[str, str] | None = None) -> dict[str, Any]:
        """The JSON shape of ``epimanager forecast --json``.

        ``abbr`` maps product codes to the abbreviation shown as ``vaccine``.
        """
        names = abbr or {}

        def iso(d: date | None) -> str | None:
            return d.isoformat() if d is not None else None

        return {
            "as_of": self.as_of.isoformat(),
            "schedule": self.schedule,
            "series": [
                {
                    "series": s.series,
                    "name": s.name,
                    "track": s.track,
                    "doses_counted": s.doses_counted,
                    "next_dose": s.next_dose,
                    "vaccine": names.get(s.vaccine, s.vaccine) if s.vaccine else None,
                    "code": s.vaccine,
                    "earliest": iso(s.earliest),
                    "complete_before": iso(s.complete_before),
                    "status": s.status.value,
                    "notes": list(s.notes),
                    "note": "；".join(s.notes) or None,
                }
                for s in self.series
            ],
            "doses": [
                {
                    "vaccine": names.get(d.vaccine, d.vaccine),
                    "code": d.vaccine,
                    "date": d.date.isoformat(),
                    "series": d.series,
                    "dose_number": d.dose_number,
                    "valid": d.valid,
                    "reason": d.reason,
                    "evaluation": d.evaluation.value if d.evaluation is not None else None,
                    "note": d.note,
                }
                for d in self.doses
            ],
        }
