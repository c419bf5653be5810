"""What the engine may know about a child besides birth date, sex and doses.

:class:`ChildFacts` carries the clinical facts some rules depend on (the
mother's HBsAg status, birth weight, immunoglobulin or blood products given);
:class:`Condition` is the compiled ``when`` object of the schedule format
that tests them, and :class:`Advice` a text the forecast shows (e.g.
需PPD试验阴性).  Pure data, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from epimanager.domain.dates import parse_date
from epimanager.domain.schedule.ages import Offset, parse_offset

#: the values ``mother_hbsag`` may take
HBSAG_VALUES = frozenset({"positive", "negative", "unknown"})


@dataclass(frozen=True, slots=True)
class Immunoglobulin:
    """An immunoglobulin or blood product given on ``date`` (``product`` is free text: IVIG, HBIG, 输血…)."""

    product: str
    date: date


@dataclass(frozen=True, slots=True)
class ChildFacts:
    """Clinical facts about a child; None = not recorded.

    ``mother_hbsag`` is ``"positive"``, ``"negative"`` or ``"unknown"``
    (None counts as unknown); ``birth_weight_g`` in grams.
    """

    mother_hbsag: str | None = None
    birth_weight_g: int | None = None
    immunoglobulin: tuple[Immunoglobulin, ...] = ()


NO_FACTS = ChildFacts()


@dataclass(frozen=True, slots=True)
class Condition:
    """A ``when`` object: every stated key must hold."""

    mother_hbsag: frozenset[str] | None = None
    birth_weight_below_g: int | None = None
    born_from_ord: int | None = None
    born_before_ord: int | None = None

    def matches(self, facts: ChildFacts, birth: int) -> bool:
        if self.mother_hbsag is not None and (facts.mother_hbsag or "unknown") not in self.mother_hbsag:
            return False
        if self.birth_weight_below_g is not None and (
            facts.birth_weight_g is None or facts.birth_weight_g >= self.birth_weight_below_g
        ):
            return False
        if self.born_from_ord is not None and birth < self.born_from_ord:
            return False
        return self.born_before_ord is None or birth < self.born_before_ord


@dataclass(frozen=True, slots=True)
class Advice:
    """A text shown with the forecast of a dose (and, with ``record``, on the valid dose given)."""

    text: str
    from_age: Offset | None
    when: Condition | None
    record: bool

    def applies(self, facts: ChildFacts, birth: int, on: int, from_ord: int | None) -> bool:
        if from_ord is not None and on < from_ord:
            return False
        return self.when is None or self.when.matches(facts, birth)


_CONDITION_KEYS = frozenset({"mother_hbsag", "birth_weight_below_g", "born_from", "born_before", "note"})


def compile_condition(raw: Any, where: str) -> Condition:
    """Compile a ``when`` object; raises ``ValueError`` (Chinese) on bad data."""
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where}：when 应为对象")
    unknown = set(raw) - _CONDITION_KEYS
    if unknown:
        raise ValueError(f"{where}：when 含未知字段：{'、'.join(sorted(unknown))}")
    hbsag = None
    if "mother_hbsag" in raw:
        hbsag = frozenset(str(v) for v in raw["mother_hbsag"])
        if not hbsag <= HBSAG_VALUES:
            raise ValueError(f"{where}：mother_hbsag 只能是 positive/negative/unknown")
    weight = raw.get("birth_weight_below_g")
    return Condition(
        mother_hbsag=hbsag,
        birth_weight_below_g=int(weight) if weight is not None else None,
        born_from_ord=parse_date(str(raw["born_from"])).toordinal() if raw.get("born_from") else None,
        born_before_ord=parse_date(str(raw["born_before"])).toordinal() if raw.get("born_before") else None,
    )


def compile_advice(raw: Any, where: str) -> Advice:
    """Compile one ``advice`` entry."""
    if not isinstance(raw, Mapping) or not raw.get("text"):
        raise ValueError(f"{where}：advice 需要 text")
    unknown = set(raw) - {"text", "from_age", "when", "record", "note"}
    if unknown:
        raise ValueError(f"{where}：advice 含未知字段：{'、'.join(sorted(unknown))}")
    return Advice(
        text=str(raw["text"]),
        from_age=parse_offset(str(raw["from_age"])) if raw.get("from_age") else None,
        when=compile_condition(raw["when"], where) if raw.get("when") else None,
        record=bool(raw.get("record", False)),
    )


def offset_label(off: Offset) -> str:
    """``Offset(3, 0)`` → ``3个月``, ``Offset(0, 28)`` → ``28天`` (for messages)."""
    parts = []
    years, months = divmod(off.months, 12)
    if years and not months:
        parts.append(f"{years}年")
    elif off.months:
        parts.append(f"{off.months}个月")
    if off.days or not parts:
        parts.append(f"{off.days}天")
    return "".join(parts)
