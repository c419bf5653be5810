"""预检: store a child's health check of the day and the 暂缓 / 禁忌 it leaves per vaccine.

The questions and rules come from ``resources/precheck/questions.json`` (an upgrade package may
replace it; each 预检 keeps the version it was asked with); :mod:`epimanager.domain.precheck` decides.
:func:`save_precheck` stores answers, temperature, question-list version, operator, desk and time on
the child's day (and its visit, when the clinic runs visits) in one transaction, records a yes to
the immunoglobulin question as an immunoglobulin entry (the forecast's waits follow it), and leaves
one :class:`~epimanager.store.models_precheck.Deferral` per vaccine concerned — every vaccine of the
catalog, so a fever defers tomorrow's vaccines too.  Saving again the same day (``expected_version``
= the version the desk saw; stale → :class:`StaleRecord`) replaces that 预检's 暂缓; a 禁忌 stays
until :func:`epimanager.services.deferrals.lift` (业务管理员, with the doctor's note, audited).

:func:`precheck_block` is what the 接种台 asks before a dose.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from epimanager.domain import precheck as dp
from epimanager.domain import visit as dv
from epimanager.domain.schedule import Immunoglobulin
from epimanager.errors import EpiError, NotFoundError, StaleRecord, ValidationError
from epimanager.resources import catalog, load_json
from epimanager.services import audit, deferrals, permissions
from epimanager.services.clinical import add_immunoglobulin_in, immunoglobulin_rows, session_facts
from epimanager.services.config.visit_flow import flow_of
from epimanager.services.deferrals import DeferralRecord, lift
from epimanager.services.forecast import engine
from epimanager.services.next_visit import due_vaccines
from epimanager.services.visits import DEFAULT_DESK
from epimanager.store.database import Database
from epimanager.store.models import Child, Dose
from epimanager.store.models_precheck import Deferral, Precheck
from epimanager.store.models_visit import Visit
from epimanager.store.models_visit_order import VisitOrder, VisitOrderItem

DATA = ("precheck", "questions.json")
STALE = "另一台电脑刚刚改了该儿童今天的预检，请刷新后重试（未保存任何改动）"
__all__ = ["lift", "precheck_block", "precheck_of", "save_precheck"]


@cache
def question_list() -> dp.QuestionList:
    """The question list in force (loaded once per process; every vaccine it names must exist)."""
    try:
        ql = dp.compile_questions(load_json(*DATA))
    except (OSError, ValueError) as exc:
        raise EpiError(f"预检问卷数据有误：{exc}") from None
    cat = catalog()
    unknown = sorted({v for q in ql.questions if q.rule for v in q.rule.vaccines if cat.get(v) is None})
    if unknown:
        raise EpiError(f"预检问卷数据有误：未知疫苗 {'、'.join(unknown)}")
    return ql


def vaccine_info(code: str) -> dp.VaccineInfo:
    vac = catalog().resolve(code)
    return dp.VaccineInfo(vac.code, vac.abbr, vac.name, vac.live)


def all_vaccines() -> list[dp.VaccineInfo]:
    return [dp.VaccineInfo(v.code, v.abbr, v.name, v.live) for v in catalog().sorted()]


@dataclass(frozen=True, slots=True)
class AnswerLine:
    number: int
    text: str
    yes: bool
    detail: str


@dataclass(frozen=True)
class PrecheckContext:
    """What the 预检 dialog needs to show outcomes live: the questions, today's vaccines, the waits."""

    child_code: str
    child_name: str
    birth_date: date
    day: date
    ticket: str | None
    questions: dp.QuestionList
    vaccines: tuple[dp.VaccineInfo, ...]
    ig_wait: Mapping[str, Any]
    immunoglobulin: tuple[Immunoglobulin, ...]
    existing: PrecheckRecord | None

    def evaluate(self, answers: Mapping[int, dp.Answer], temperature: float) -> tuple[dp.VaccineOutcome, ...]:
        return dp.evaluate(self.questions, answers, temperature, self.vaccines, self.day,
                           ig_wait=self.ig_wait, immunoglobulin=self.immunoglobulin)  # fmt: skip


@dataclass(frozen=True)
class PrecheckRecord:
    id: int
    child_code: str
    child_name: str
    day: date
    ticket: str | None
    at: datetime
    temperature: float
    answers: tuple[AnswerLine, ...]
    question_version: str
    operator: str | None
    desk: str | None
    version: int
    #: today's vaccines (the visit's order, else the due ones) and what 预检 says about each
    outcomes: tuple[dp.VaccineOutcome, ...]
    #: every 暂缓 / 禁忌 of the child in force that day
    deferrals: tuple[DeferralRecord, ...]

    @property
    def positive(self) -> tuple[AnswerLine, ...]:
        return tuple(a for a in self.answers if a.yes)

    def to_json(self) -> dict[str, Any]:
        return {
            "child_code": self.child_code, "child_name": self.child_name, "day": self.day.isoformat(),
            "ticket": self.ticket, "at": self.at.isoformat(timespec="seconds"), "temperature": self.temperature,
            "question_version": self.question_version, "operator": self.operator, "desk": self.desk,
            "version": self.version,
            "answers": [{"number": a.number, "question": a.text, "yes": a.yes, "detail": a.detail or None}
                        for a in self.answers],
            "vaccines": [{"code": o.code, "name": o.name, "outcome": o.outcome.value,
                          "until": o.until.isoformat() if o.until else None, "reasons": list(o.reasons),
                          "cautions": list(o.cautions)} for o in self.outcomes],
            "deferrals": [d.to_json() for d in self.deferrals],
        }  # fmt: skip


# --- reading -----------------------------------------------------------------------------------


def _child(s: Session, code: str) -> Child:
    child = s.scalar(select(Child).where(Child.code == (code or "").strip(), Child.deleted.is_(False)))
    if child is None:
        raise NotFoundError(f"找不到儿童：{code}")
    return child


def _visit(s: Session, child_id: int, day: date) -> Visit | None:
    return s.scalar(select(Visit).where(Visit.day == day, Visit.child_id == child_id))


def _today_codes(s: Session, child: Child, visit: Visit | None, day: date) -> list[str]:
    """The visit's order, then the due vaccines of the plain forecast (each once)."""
    codes: list[str] = []
    if visit is not None:
        q = (
            select(VisitOrderItem.vaccine_code)
            .join(VisitOrder, VisitOrder.id == VisitOrderItem.order_id)
            .where(VisitOrder.visit_id == visit.id)
            .order_by(VisitOrderItem.position)
        )
        codes.extend(s.scalars(q))
    doses = list(s.scalars(select(Dose).where(Dose.child_id == child.id, Dose.deleted.is_(False))))
    facts = session_facts(s, child.id, child.mother_hbsag, child.birth_weight_kg)
    fc = engine().forecast(child.birth_date, max(day, child.birth_date), doses, child.sex, facts=facts)
    codes.extend(code for code, _status in due_vaccines(fc) if code not in codes)
    return codes


def _answers_of(row: Precheck, ql: dp.QuestionList) -> tuple[AnswerLine, ...]:
    stored = {int(a["number"]): a for a in json.loads(row.answers)}
    numbers = sorted({q.number for q in ql.questions} | set(stored))
    out = []
    for n in numbers:
        q, a = ql.question(n), stored.get(n, {})
        out.append(AnswerLine(n, a.get("question") or (q.text if q else ""), bool(a.get("yes")), a.get("detail") or ""))
    return tuple(out)


def _record(s: Session, row: Precheck, child: Child, outcomes: Sequence[dp.VaccineOutcome]) -> PrecheckRecord:
    visit = s.get(Visit, row.visit_id) if row.visit_id else None
    return PrecheckRecord(
        row.id, child.code, child.name, row.day, visit.ticket if visit else None, row.at, row.temperature,
        _answers_of(row, question_list()), row.question_version, row.operator, row.desk, row.version,
        tuple(outcomes), tuple(deferrals.active(s, child.id, row.day).values()),
    )  # fmt: skip


def _ig(s: Session, child_id: int) -> tuple[Immunoglobulin, ...]:
    return tuple(Immunoglobulin(p, d) for p, d in immunoglobulin_rows(s, child_id))


def _outcomes_from_stored(s: Session, child: Child, row: Precheck, codes: Sequence[str]) -> list[dp.VaccineOutcome]:
    """Today's vaccines as the stored deferrals say (what the 预检 left, lifted ones not counted)."""
    found = deferrals.active(s, child.id, row.day)
    out = []
    for code in codes:
        info = vaccine_info(code)
        d = found.get(code)
        if d is None:
            out.append(dp.VaccineOutcome(code, info.name, dp.Outcome.OK))
        else:
            out.append(dp.VaccineOutcome(code, info.name, dp.Outcome(d.kind), d.until, tuple(d.reason.split("；"))))
    return out


def precheck_of(db: Database, code: str, day: date | None = None) -> PrecheckRecord | None:
    """The child's 预检 of ``day`` (default today), or None."""
    day = day or date.today()
    with db.session() as s:
        child = _child(s, code)
        row = s.scalar(select(Precheck).where(Precheck.child_id == child.id, Precheck.day == day))
        if row is None:
            return None
        codes = _today_codes(s, child, _visit(s, child.id, day), day)
        return _record(s, row, child, _outcomes_from_stored(s, child, row, codes))


def context(db: Database, code: str, day: date | None = None) -> PrecheckContext:
    """Everything the dialog needs, read once."""
    day = day or date.today()
    existing = precheck_of(db, code, day)
    with db.session() as s:
        child = _child(s, code)
        visit = _visit(s, child.id, day)
        codes = _today_codes(s, child, visit, day)
        return PrecheckContext(
            child.code, child.name, child.birth_date, day, visit.ticket if visit else None, question_list(),
            tuple(vaccine_info(c) for c in codes), dict(engine().version_on(day).ig_wait), _ig(s, child.id), existing,
        )  # fmt: skip


def list_deferrals(db: Database, code: str, day: date | None = None) -> list[DeferralRecord]:
    """The child's 暂缓 / 禁忌 in force on ``day`` (default today)."""
    with db.session() as s:
        child = _child(s, code)
        return list(deferrals.active(s, child.id, day or date.today()).values())


# --- saving ------------------------------------------------------------------------------------


def _resolved(ql: dp.QuestionList, answers: Mapping[int, dp.Answer], temperature: float | None) -> dict[int, dp.Answer]:
    problems = dp.check(ql, answers, temperature)
    out: dict[int, dp.Answer] = {}
    cat = catalog()
    for n, a in answers.items():
        codes = []
        for v in a.vaccines:
            vac = cat.get(v)
            if vac is None:
                problems.append(f"第{n}题：未知疫苗“{v}”")
            else:
                codes.append(vac.code)
        product = (a.product or "").strip() or None
        if product and len(product) > 50:
            problems.append(f"第{n}题：免疫球蛋白/血液制品名称不能超过50个字")
        out[n] = dp.Answer(a.yes, tuple(codes), product, a.date) if a.yes else dp.NO
    if problems:
        raise ValidationError(problems)
    return out


def _summary(temperature: float, answers: Mapping[int, dp.Answer], outcomes: Sequence[dp.VaccineOutcome]) -> str:
    yes = [f"{n}" + (f"（{_detail(a)}）" if a.detail else "") for n, a in sorted(answers.items()) if a.yes]
    text = f"体温{temperature:.1f}°C；答“是”：{'、'.join(yes) or '无'}"
    bad = [f"{o.name}{o.text}" for o in outcomes if o.outcome is not dp.Outcome.OK]
    return text + (f"；{'、'.join(bad)}" if bad else "；均可接种")


def save_precheck(
    db: Database,
    code: str,
    temperature: float,
    answers: Mapping[int, dp.Answer],
    *,
    expected_version: int | None = None,
    desk: str | None = None,
    user: str | None = None,
    now: datetime | None = None,
    dry_run: bool = False,
) -> PrecheckRecord:
    """Store (or with ``dry_run`` only work out) the child's 预检 of today; see the module doc."""
    now = (now or datetime.now()).replace(microsecond=0)
    day = now.date()
    ql = question_list()
    answers = _resolved(ql, answers, temperature)
    with db.session() if dry_run else db.transaction() as s:
        child = _child(s, code)
        visit = _visit(s, child.id, day)
        row = s.scalar(select(Precheck).where(Precheck.child_id == child.id, Precheck.day == day))
        seen = row.version if row is not None else 0
        if expected_version is not None and expected_version != seen:
            raise StaleRecord(STALE)
        for n, a in answers.items():
            if a.date is not None and (a.date < child.birth_date or a.date > day):
                raise ValidationError(f"第{n}题：注射日期应在出生日期与今天之间")
        codes = _today_codes(s, child, visit, day)
        ig = _ig(s, child.id)
        waits = dict(engine().version_on(day).ig_wait)
        every = dp.evaluate(ql, answers, temperature, all_vaccines(), day, ig_wait=waits, immunoglobulin=ig)
        by_code = {o.code: o for o in every}
        today = [by_code[c] for c in codes if c in by_code]
        if dry_run:
            fake = Precheck(id=0, child_id=child.id, visit_id=visit.id if visit else None, day=day, at=now,
                            temperature=temperature, answers=_answers_json(ql, answers),
                            question_version=ql.version, operator=user, desk=desk, version=seen)  # fmt: skip
            return _record(s, fake, child, today)
        who = permissions.operator(db, user)
        where = (desk or "").strip() or db.desk or DEFAULT_DESK
        for a in answers.values():
            if a.date is not None and (a.product or "免疫球蛋白", a.date) not in {(g.product, g.date) for g in ig}:
                add_immunoglobulin_in(s, child, a.product or "免疫球蛋白", a.date, user=user, now=now)
        before = None
        if row is None:
            row = Precheck(child_id=child.id, day=day)
            s.add(row)
        else:
            before = f"体温{row.temperature:.1f}°C（第{row.version}版）"
            flag_modified(row, "at")
        row.visit_id = visit.id if visit else None
        row.at, row.temperature, row.answers = now, temperature, _answers_json(ql, answers)
        row.question_version, row.operator, row.desk = ql.version, who, where
        try:
            s.flush()
        except StaleDataError as exc:
            raise StaleRecord(STALE) from exc
        _store_deferrals(s, child.id, row.id, every, who, now)
        audit.record(
            s, kind="precheck", entity="child", entity_uuid=child.uuid, child_id=child.id, user=user,
            field="precheck", old=before, new=f"{_summary(temperature, answers, today)}（{where}）", at=now,
        )  # fmt: skip
        s.flush()
        return _record(s, row, child, today)


def _detail(a: dp.Answer) -> str:
    """What goes with a yes, for people: vaccine names (百白破疫苗、麻腮风疫苗) or ``IVIG 2026-11-20``."""
    if a.vaccines:
        return "、".join(vaccine_info(c).name for c in a.vaccines)
    return a.detail


def _answers_json(ql: dp.QuestionList, answers: Mapping[int, dp.Answer]) -> str:
    rows = []
    for q in ql.questions:
        a = answers.get(q.number, dp.NO)
        rows.append({"number": q.number, "question": q.text, "yes": a.yes, "detail": _detail(a) or None})
    return json.dumps(rows, ensure_ascii=False)


def _store_deferrals(
    s: Session, child_id: int, precheck_id: int, outcomes: Sequence[dp.VaccineOutcome], who: str | None, now: datetime
) -> None:
    """This 预检's 暂缓 replaced; a new 禁忌 added unless one is already in force for that vaccine."""
    s.execute(
        delete(Deferral).where(
            Deferral.precheck_id == precheck_id, Deferral.kind == dp.Outcome.DEFER.value, Deferral.lifted_at.is_(None)
        )
    )
    in_force = {
        c for c in s.scalars(select(Deferral.vaccine_code).where(
            Deferral.child_id == child_id, Deferral.kind == dp.Outcome.CONTRA.value, Deferral.lifted_at.is_(None)))
    }  # fmt: skip
    for o in outcomes:
        if o.outcome is dp.Outcome.OK or (o.outcome is dp.Outcome.CONTRA and o.code in in_force):
            continue
        s.add(Deferral(child_id=child_id, precheck_id=precheck_id, vaccine_code=o.code, kind=o.outcome.value,
                       until=o.until, reason="；".join(o.reasons)[:400], created_at=now, created_by=who))  # fmt: skip


# --- the 接种台's question ---------------------------------------------------------------------


def precheck_block(s: Session, child_id: int, vaccine_code: str, day: date) -> str | None:
    """Why ``vaccine_code`` may not be given to the child on ``day`` (Chinese), or None."""
    d = deferrals.active(s, child_id, day).get(vaccine_code)
    if d is not None:
        if d.contraindicated:
            return f"{d.vaccine_name}：预检禁忌（{d.reason}），须医生出具意见并由业务管理员解除"
        return f"{d.vaccine_name}：预检暂缓，{d.until.isoformat() if d.until else ''}起方可接种（{d.reason}）"
    if dv.Step.PRECHECK in flow_of(s).steps:
        visit = _visit(s, child_id, day)
        done = s.scalar(select(Precheck.id).where(Precheck.child_id == child_id, Precheck.day == day))
        if visit is not None and done is None:
            return f"{visit.ticket} 号今天尚未预检，请先完成预检"
    return None
