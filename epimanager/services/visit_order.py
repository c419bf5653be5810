"""登记 sets today's order: the vaccines, dose numbers and planned sites a visit is to give.

The default selection is the forecast's due items (:func:`proposal`); :func:`set_order` replaces a
visit's order in one write transaction after checking every item the way the dose service checks
a dose (:mod:`epimanager.services.doses`): a known product, the next dose number of its series, not
a dose the child already has, not invalid today (未到月龄, 间短 …), each product and each series
once.  An order can be set while the visit is open and has not left 接种 (留观, 完成 and 取消 refuse
it).  Who set it, at which desk and when is kept on the order and in the audit log;
``expected_version`` (the version the desk saw, 0 for none) refuses a stale replacement.

The 接种台 pre-fills F4 from the next ungiven item (:attr:`VisitOrderRecord.next_item`); a dose not
on the order needs a confirmation (:mod:`epimanager.services.order_check`).  :func:`order_lines`
is the order as text for the ticket / slip.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from epimanager.domain import visit as dv
from epimanager.domain.schedule import Forecast
from epimanager.errors import NotFoundError, StaleRecord, ValidationError
from epimanager.resources import catalog
from epimanager.services import audit, deferrals, permissions
from epimanager.services.clinical import session_facts
from epimanager.services.dose_duplicates import find_clash
from epimanager.services.doses import evaluate_new, invalid_reasons, resolve_vaccine_code
from epimanager.services.forecast import engine
from epimanager.services.next_visit import RecordedDose, due_vaccines, proposed_dose_number, proposed_site
from epimanager.services.visits import DEFAULT_DESK
from epimanager.store.database import Database
from epimanager.store.models import Child, Dose
from epimanager.store.models_visit import Visit
from epimanager.store.models_visit_order import VisitOrder, VisitOrderItem

#: Steps after which the order can no longer change (接种 is over, or the visit ended).
CLOSED_STEPS = frozenset({dv.Step.OBSERVE.value, dv.Step.DONE.value, dv.Step.CANCELLED.value})
MAX_DOSE_NUMBER = 10
SITE_LENGTH = 20


@dataclass(frozen=True, slots=True)
class OrderItem:
    """One item as a desk chooses it: product (code, abbreviation or name), dose number, site."""

    vaccine: str
    dose_number: int
    site: str | None = None


def parse_item(text: str) -> OrderItem:
    """``CODE:DOSE[:SITE]`` (the CLI's ``--item``), e.g. ``HepB:2:右上臂`` or ``0201:2``."""
    parts = [p.strip() for p in text.replace("：", ":").split(":")]
    if len(parts) not in (2, 3) or not parts[0]:
        raise ValidationError(f"安排项应为 疫苗:剂次[:部位]，如 HepB:2:右上臂（收到“{text}”）")
    try:
        number = int(parts[1])
    except ValueError:
        raise ValidationError(f"安排项“{text}”的剂次应为数字") from None
    return OrderItem(parts[0], number, (parts[2] if len(parts) == 3 else "") or None)


@dataclass(frozen=True, slots=True)
class OrderLine:
    """One item of a stored order, with whether today's dose of it is recorded yet."""

    code: str
    name: str
    abbr: str
    dose_number: int
    site: str | None
    given: bool

    @property
    def text(self) -> str:
        """乙肝疫苗 第2剂 右上臂"""
        return f"{self.name} 第{self.dose_number}剂" + (f" {self.site}" if self.site else "")


@dataclass(frozen=True)
class VisitOrderRecord:
    """A visit's order (``version`` 0 and no items: none set yet)."""

    day: dt.date
    ticket: str
    child_code: str
    child_name: str
    step: str
    status: str
    version: int
    set_at: dt.datetime | None
    operator: str | None
    desk: str | None
    items: tuple[OrderLine, ...]

    @property
    def open(self) -> bool:
        """The order can still change (the visit has not left 接种)."""
        return self.step not in CLOSED_STEPS

    @property
    def next_item(self) -> OrderLine | None:
        """The first item whose dose is not recorded yet (what F4 pre-fills)."""
        return next((i for i in self.items if not i.given), None)

    @property
    def summary(self) -> str:
        """乙肝疫苗 第2剂 右上臂 ✓、脊灰灭活疫苗 第1剂 左大腿"""
        return "、".join(i.text + (" ✓" if i.given else "") for i in self.items)

    def to_json(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "ticket": self.ticket,
            "child_code": self.child_code,
            "child_name": self.child_name,
            "step": self.step,
            "status": self.status,
            "version": self.version,
            "set_at": self.set_at.isoformat(timespec="seconds") if self.set_at else None,
            "operator": self.operator,
            "desk": self.desk,
            "items": [
                {"vaccine": i.abbr, "code": i.code, "name": i.name, "dose_number": i.dose_number, "site": i.site,
                 "given": i.given}
                for i in self.items
            ],
        }  # fmt: skip


# --- the default selection ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Planned:
    """An item already chosen, as a dose of the visit day (for the next item's site)."""

    vaccine_code: str
    dose_number: int
    date: dt.date
    site: str | None
    route: str | None


def _with_planned(doses: Sequence[RecordedDose], code: str, number: int, day: dt.date, site: str | None) -> list[Any]:
    vac = catalog().get(code)
    return [*doses, _Planned(code, number, day, site, vac.route if vac else None)]


def proposed_items(forecast: Forecast | None, doses: Sequence[RecordedDose], day: dt.date) -> list[OrderItem]:
    """The forecast's due items (超期未种 first), each with its next dose number and a site that no
    other injection of the day (given or planned before it) takes."""
    out: list[OrderItem] = []
    planned: list[Any] = list(doses)
    for code, _status in due_vaccines(forecast):
        number = proposed_dose_number(forecast, doses, code)
        if number is None:
            continue
        site = proposed_site(code, planned, day)
        planned = _with_planned(planned, code, number, day, site)
        out.append(OrderItem(code, number, site))
    return out


# --- reading -----------------------------------------------------------------------------------


def _now(now: dt.datetime | None) -> dt.datetime:
    return (now or dt.datetime.now()).replace(microsecond=0)


def _load(s: Session, ticket: str, day: dt.date) -> tuple[Visit, Child]:
    found = s.execute(
        select(Visit, Child).join(Child, Child.id == Visit.child_id).where(Visit.day == day, Visit.ticket == ticket)
    ).first()
    if found is None:
        raise NotFoundError(f"{day.isoformat()} 没有 {ticket} 号")
    return found[0], found[1]


def _doses(s: Session, child_id: int) -> list[Dose]:
    return list(s.scalars(select(Dose).where(Dose.child_id == child_id, Dose.deleted.is_(False))))


def _record(s: Session, visit: Visit, child: Child) -> VisitOrderRecord:
    order = s.scalar(select(VisitOrder).where(VisitOrder.visit_id == visit.id))
    lines: list[OrderLine] = []
    if order is not None:
        given = {(d.vaccine_code, d.date) for d in _doses(s, child.id)}
        cat = catalog()
        query = select(VisitOrderItem).where(VisitOrderItem.order_id == order.id).order_by(VisitOrderItem.position)
        for r in s.scalars(query):
            vac = cat.get(r.vaccine_code)
            name, abbr = (vac.name, vac.abbr) if vac else (r.vaccine_code, r.vaccine_code)
            done = (r.vaccine_code, visit.day) in given
            lines.append(OrderLine(r.vaccine_code, name, abbr, r.dose_number, r.site, done))
    return VisitOrderRecord(
        visit.day, visit.ticket, child.code, child.name, visit.step, visit.status,
        order.version if order else 0, order.set_at if order else None, order.operator if order else None,
        order.desk if order else None, tuple(lines),
    )  # fmt: skip


def order_of(
    db: Database, ticket: str | None = None, *, child_code: str | None = None, day: dt.date | None = None
) -> VisitOrderRecord | None:
    """The order of ``ticket`` (NotFoundError when there is no such ticket that day), or of the
    child's visit that day (None when the child has no visit); ``day`` defaults to today."""
    day = day or dt.date.today()
    with db.session() as s:
        if ticket is not None:
            visit, child = _load(s, ticket.strip().upper(), day)
            return _record(s, visit, child)
        found = s.execute(
            select(Visit, Child)
            .join(Child, Child.id == Visit.child_id)
            .where(Visit.day == day, Child.code == (child_code or "").strip())
        ).first()
        return _record(s, found[0], found[1]) if found is not None else None


def order_lines(db: Database, ticket: str, day: dt.date | None = None) -> list[str]:
    """The order as text lines for the ticket / slip: a heading, then one line per item
    (``1. 乙肝疫苗 第2剂 右上臂``); empty when no order is set."""
    order = order_of(db, ticket, day=day)
    if order is None or not order.items:
        return []
    return ["今日接种安排：", *(f"{n}. {i.text}" for n, i in enumerate(order.items, start=1))]


def proposal(db: Database, ticket: str, *, day: dt.date | None = None) -> list[OrderItem]:
    """The default selection for ``ticket``'s child: the forecast's due items (see :func:`proposed_items`)."""
    day = day or dt.date.today()
    with db.session() as s:
        _visit, child = _load(s, ticket.strip().upper(), day)
        doses = _doses(s, child.id)
        facts = session_facts(s, child.id, child.mother_hbsag, child.birth_weight_kg)
        fc = engine().forecast(child.birth_date, max(day, child.birth_date), doses, child.sex, facts=facts)
        return proposed_items(deferrals.apply_for(s, child.id, fc), doses, day)  # 预检's 暂缓 / 禁忌 left out


# --- setting -----------------------------------------------------------------------------------


def _checked(s: Session, child: Child, day: dt.date, items: Iterable[OrderItem]) -> list[OrderItem]:
    """Every item resolved and checked like a dose of ``day``; all problems at once (Chinese)."""
    cat = catalog()
    doses = _doses(s, child.id)
    facts = session_facts(s, child.id, child.mother_hbsag, child.birth_weight_kg)
    fc = engine().forecast(child.birth_date, max(day, child.birth_date), doses, child.sex, facts=facts)
    problems: list[str] = []
    out: list[OrderItem] = []
    planned: list[Any] = list(doses)
    for n, item in enumerate(items, start=1):
        try:
            vac = cat.resolve(resolve_vaccine_code(item.vaccine))
        except ValidationError as exc:
            problems.append(f"第{n}项：{exc.message}")
            continue
        what = f"{vac.name} 第{item.dose_number}剂"
        twin = next((cat.get(o.vaccine) for o in out if o.vaccine == vac.code or set(vac.counts_for) & set(
            (cat.get(o.vaccine) or vac).counts_for)), None)  # fmt: skip
        if twin is not None:
            same = "重复安排" if twin.code == vac.code else f"与{twin.name}属同一系列"
            problems.append(f"第{n}项：{vac.name}{same}，每种只能安排一剂")
            continue
        if not 1 <= item.dose_number <= MAX_DOSE_NUMBER:
            problems.append(f"第{n}项：{vac.name}的剂次应为 1–{MAX_DOSE_NUMBER}")
            continue
        given = any(d.vaccine_code == vac.code and d.date == day and d.dose_number == item.dose_number for d in doses)
        problem = None if given else _dose_problem(child, doses, fc, facts, vac.code, item.dose_number, day, what)
        if problem:
            problems.append(f"第{n}项：{problem}")
            continue
        site = (item.site or "").strip() or proposed_site(vac.code, planned, day)
        if site and len(site) > SITE_LENGTH:
            problems.append(f"第{n}项：接种部位最长 {SITE_LENGTH} 个字")
            continue
        planned = _with_planned(planned, vac.code, item.dose_number, day, site)
        out.append(OrderItem(vac.code, item.dose_number, site or None))
    if problems:
        raise ValidationError(problems)
    return out


def _dose_problem(
    child: Child, doses: list[Dose], fc: Forecast, facts: Any, code: str, number: int, day: dt.date, what: str
) -> str | None:
    """Why a dose of ``code`` / ``number`` cannot be planned for ``day`` (the dose service's rules)."""
    vac = catalog().get(code)
    expected = proposed_dose_number(fc, doses, code)
    if expected is None and vac is not None and vac.counts_for:
        return f"{vac.name}该儿童已全程接种或已超过接种年龄，今天不需安排"
    if expected is not None and expected != number:
        return f"{what}：该儿童下一剂应为第{expected}剂"
    clash = find_clash(child.birth_date, child.sex, doses, code, number, day, facts=lambda: facts)
    if clash is not None:
        return f"{what}：该儿童已有{clash.existing}"
    reasons = invalid_reasons(evaluate_new(child.birth_date, child.sex, doses, code, day, facts=facts))
    if reasons:
        return f"{what}今天接种评价为“{'、'.join(reasons)}”，不能安排"
    return None


def set_order(
    db: Database,
    ticket: str,
    items: Sequence[OrderItem],
    *,
    expected_version: int | None = None,
    desk: str | None = None,
    user: str | None = None,
    now: dt.datetime | None = None,
) -> VisitOrderRecord:
    """Set or replace today's order of ``ticket`` (an empty list clears it).

    ``expected_version`` is the order version the desk saw (0: none yet); when another desk
    changed the order since, :class:`StaleRecord` and nothing is saved.
    """
    now = _now(now)
    day = now.date()
    ticket = ticket.strip().upper()
    with db.transaction() as s:
        visit, child = _load(s, ticket, day)
        if visit.step in CLOSED_STEPS:
            state = "已取消" if visit.step == dv.Step.CANCELLED.value else f"已完成接种（{visit.step}）"
            raise ValidationError(f"{ticket} 号{state}，不能再设置今日接种安排")
        order = s.scalar(select(VisitOrder).where(VisitOrder.visit_id == visit.id))
        seen = order.version if order is not None else 0
        if expected_version is not None and expected_version != seen:
            raise StaleRecord(f"另一台电脑刚刚改了 {ticket} 号的今日接种安排，请刷新后重试（未保存任何改动）")
        before = _record(s, visit, child).summary if order is not None else ""
        chosen = _checked(s, child, day, items)
        who = permissions.operator(db, user)
        where = (desk or "").strip() or db.desk or DEFAULT_DESK
        if order is None:
            order = VisitOrder(visit_id=visit.id, set_at=now, operator=who, desk=where)
            s.add(order)
        else:
            order.set_at, order.operator, order.desk = now, who, where
            flag_modified(order, "set_at")  # a new version even within the same second
            s.execute(delete(VisitOrderItem).where(VisitOrderItem.order_id == order.id))
        try:
            s.flush()
        except StaleDataError as exc:
            raise StaleRecord(f"另一台电脑刚刚改了 {ticket} 号的今日接种安排，请刷新后重试（未保存任何改动）") from exc
        for position, item in enumerate(chosen):
            s.add(VisitOrderItem(order_id=order.id, position=position, vaccine_code=item.vaccine,
                                 dose_number=item.dose_number, site=item.site))  # fmt: skip
        s.flush()
        after = _record(s, visit, child)
        audit.record(
            s, kind="visit_order", entity="visit", entity_uuid=f"{day.isoformat()}/{ticket}", child_id=child.id,
            user=user, old=before or None, new=f"{ticket} 号：{after.summary or '（清空）'}（{where}）", at=now,
        )  # fmt: skip
        return after
