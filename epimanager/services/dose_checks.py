"""The two rules every dose save checks inside its write transaction: a dose the child already has
(:class:`DuplicateDose`) and a dose the schedule engine counts as invalid (:class:`InvalidDose`), each
refused unless confirmed (module doc of :mod:`epimanager.services.doses`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from epimanager.domain.schedule import ChildFacts, DoseEvaluation, Given
from epimanager.errors import ValidationError
from epimanager.services.clinical import facts_from, session_facts
from epimanager.services.dose_duplicates import Clash, find_clash
from epimanager.services.dose_reads import SaveReads
from epimanager.store.models import Child, Dose


class InvalidDose(ValidationError):
    """The engine counts the dose as invalid; saving it needs an explicit confirmation."""

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = reasons
        super().__init__(f"这一剂评价为“{'、'.join(reasons)}”，是无效剂次，不计入免疫程序；需确认后才能保存")


class DuplicateDose(ValidationError):
    """The child already has this dose; saving it again needs a confirmation as a correction/补录."""

    def __init__(self, clash: Clash) -> None:
        self.vaccine_name, self.dose_number, self.day, self.same_day = (
            clash.vaccine_name,
            clash.dose_number,
            clash.day,
            clash.same_day,
        )
        #: the existing dose in words: 百白破疫苗 第3剂（2026-05-01）
        self.existing = clash.existing
        what = f"同一天已有{self.existing}" if clash.same_day else f"该儿童已有有效的{self.existing}"
        super().__init__(f"{what}，是重复剂次；确认作为更正/补录后才能保存")


def evaluate_new(
    birth: date,
    sex: str,
    others: Iterable[Any],
    code: str,
    day: date,
    *,
    exclude: str | None = None,
    facts: ChildFacts | None = None,
) -> list[DoseEvaluation]:
    """How a dose of ``code`` on ``day`` counts with the child's other doses (records or rows with
    ``uuid``, ``vaccine_code``, ``date``) and clinical ``facts``; ``exclude`` leaves out the dose being changed."""
    from epimanager.services.forecast import engine

    doses: list[Any] = [d for d in others if exclude is None or getattr(d, "uuid", None) != exclude]
    doses.append(Given(code, day))
    fc = engine().forecast(birth, max(day, birth), doses, sex, facts=facts)
    found = [ev for ev in fc.doses if ev.vaccine == code and ev.date == day]
    per_series = max(1, len({ev.series for ev in found}))
    return found[-per_series:]


def invalid_reasons(evaluations: Iterable[DoseEvaluation]) -> list[str]:
    """The engine's reasons why a dose does not count (empty when it counts)."""
    return list(dict.fromkeys(ev.reason or "无效" for ev in evaluations if not ev.valid))


def check_dose(
    s: Session,
    child: Child,
    code: str,
    number: int,
    day: date,
    *,
    exclude: str | None,
    confirm_invalid: bool,
    confirm_duplicate: bool,
    counts: bool = True,
    stored: SaveReads | None = None,
) -> str:
    """Refuse a duplicate, then an invalid dose, unless confirmed; returns the audit note of a
    confirmed one.  ``counts=False`` skips the engine's evaluation (only the dose number changed).
    ``stored``: the child's doses and facts as :mod:`.dose_reads` read them in this transaction."""
    if stored is None:
        query = select(Dose.uuid, Dose.vaccine_code, Dose.dose_number, Dose.date)
        rows = s.execute(query.where(Dose.child_id == child.id, Dose.deleted.is_(False)).order_by(Dose.id))
        doses: list[Any] = list(rows)
        facts = session_facts(s, child.id, child.mother_hbsag, child.birth_weight_kg)
    else:
        doses = stored.doses
        facts = (
            session_facts(s, child.id, child.mother_hbsag, child.birth_weight_kg)
            if stored.has_immunoglobulin
            else facts_from(child.mother_hbsag, child.birth_weight_kg)
        )
    others = [d for d in doses if d.uuid != exclude]
    notes = []
    clash = find_clash(child.birth_date, child.sex, others, code, number, day, facts=lambda: facts)
    if clash is not None:
        if not confirm_duplicate:
            raise DuplicateDose(clash)
        notes.append(f"确认作为更正/补录：已有{clash.existing}")
    if counts:
        reasons = invalid_reasons(evaluate_new(child.birth_date, child.sex, others, code, day, facts=facts))
        if reasons and not confirm_invalid:
            raise InvalidDose(reasons)
        if reasons:
            notes.append(f"确认保存无效剂次：{'、'.join(reasons)}")
    return "".join(f"（{n}）" for n in notes)
