"""Schedule data compiled into immutable, arithmetic-ready structures.

The raw format (one JSON object per version, see ``resources/schedules/README.md``)
is validated and compiled once by
:func:`~epimanager.domain.schedule.compiler.compile_versions`; the engine then
only reads these structures.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from epimanager.domain.schedule.ages import Offset
from epimanager.domain.schedule.facts import Advice, Condition


@dataclass(frozen=True, slots=True)
class Interval:
    """Minimum (and optional maximum) interval from an earlier valid dose.

    ``from_index`` is the 0-based index of the earlier dose in the series,
    or -1 for the previous valid dose.
    """

    from_index: int
    minimum: Offset
    maximum: Offset | None
    #: the interval applies only when the earlier dose was given at or after this age
    from_age: Offset | None = None


@dataclass(frozen=True, slots=True)
class ProductRule:
    """Give ``product`` instead of the dose's default when the rule matches.

    ``born_before_ord`` matches children born before a date; ``age_at_least``
    matches when the child is at least that old on the day of the dose.
    """

    product: str
    born_before_ord: int | None
    age_at_least: Offset | None


@dataclass(frozen=True, slots=True)
class DoseRule:
    """One dose of a track."""

    index: int
    min_age: Offset
    #: the dose's own "complete before" age (None = not stated)
    complete_before: Offset | None
    #: own value, or the nearest later dose's: a dose is overdue once a later one is
    effective_complete_before: Offset | None
    intervals: tuple[Interval, ...]
    product: str
    product_rules: tuple[ProductRule, ...]
    #: product codes accepted as this dose
    accepts: frozenset[str]
    skip_if_previous_dose_at_age: Offset | None
    timely_within: Offset
    #: per-product minimum age (a combination given per its package insert)
    product_min_age: Mapping[str, Offset]
    #: (products, age): a dose of these products is valid from ``age`` when every
    #: earlier valid dose of the series was one of them too (a course per the insert)
    early_course: tuple[frozenset[str], Offset] | None = None
    #: texts shown with the forecast of this dose
    advice: tuple[Advice, ...] = ()
    #: (0-based dose index, age): skip this dose when that dose was given at or after the age
    skip_if_dose_at_age: tuple[int, Offset] | None = None
    #: either skip condition is stated (derived; read for every dose the engine judges)
    skips: bool = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        skips = self.skip_if_previous_dose_at_age is not None or self.skip_if_dose_at_age is not None
        object.__setattr__(self, "skips", skips)


@dataclass(frozen=True, slots=True)
class Track:
    """A product path through a series (JE-L vs JE-I, HepA-L vs HepA-I)."""

    id: str
    name: str
    products: tuple[str, ...]
    doses: tuple[DoseRule, ...]


@dataclass(frozen=True, slots=True)
class Handover:
    """Dose 1 of this series follows on from another series (MenA → MenAC).

    While the child can still finish ``from_series`` dose 1 keeps its own ages
    (and ``min_interval`` after the last valid dose there); once it cannot,
    ``if_none_*`` (no valid dose there) or ``if_partial_*`` (some) apply.
    """

    from_series: str
    min_interval: Offset
    if_none_min_age: Offset | None
    if_none_complete_before: Offset | None
    if_partial_min_interval: Offset | None = None
    if_partial_min_age: Offset | None = None
    if_partial_complete_before: Offset | None = None


@dataclass(frozen=True, slots=True)
class Need:
    """A series is not complete until ``count`` valid doses of ``products`` (unless waived).

    While unmet, the next dose is ``product`` and may be given from
    ``rule.min_age``; past the last dose of the track one more dose (``rule``)
    is forecast.  ``waived_by``: any recorded dose of these products lifts it;
    ``when``: the children it applies to (a birth cohort).
    """

    products: frozenset[str]
    count: int
    product: str
    waived_by: frozenset[str]
    when: Condition | None
    rule: DoseRule
    #: the missing dose is due from ``rule.min_age`` even before the track's next dose age
    early: bool = False


@dataclass(frozen=True, slots=True)
class HistoryProduct:
    """Give ``product`` for every further dose when the history has one of ``any_of`` and none of ``none_of``."""

    any_of: frozenset[str]
    none_of: frozenset[str]
    product: str


@dataclass(frozen=True, slots=True)
class SeriesRule:
    """One antigen series of a schedule version."""

    id: str
    name: str
    #: "1" male / "2" female only; None = everyone
    sex: str | None
    #: no dose from this age on (the smaller of the series' max age and catch-up age)
    max_age: Offset
    tracks: Mapping[str, Track]
    default_track: str
    #: product code → track it selects (only products of exactly one track)
    product_track: Mapping[str, str]
    handover: Handover | None
    #: (condition on the child, track): a track chosen by clinical facts
    track_when: tuple[tuple[Condition, str], ...] = ()
    needs: tuple[Need, ...] = ()
    history_products: tuple[HistoryProduct, ...] = ()


@dataclass(frozen=True, slots=True)
class ScheduleVersion:
    """A schedule in force from ``effective_from``."""

    id: str
    name: str
    effective_from: date
    source: str
    confidence: str
    catch_up_max_age: Offset
    live_spacing_days: int
    live_spacing_exempt: frozenset[str]
    timely_within: Offset
    series: tuple[SeriesRule, ...]
    by_id: Mapping[str, SeriesRule]
    #: product code → wait after an immunoglobulin / blood product
    ig_wait: Mapping[str, Offset] = field(default_factory=dict)


class ScheduleDataError(ValueError):
    """The schedule data is malformed (message in Chinese)."""
