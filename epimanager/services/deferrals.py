"""A child's 暂缓 / 禁忌 per vaccine (left by 预检) as the forecast and the dose checks read them,
and :func:`lift` — a 业务管理员 lifting a 禁忌 with the doctor's note.

:func:`active` reads the ones in force on a day (a 暂缓 until its date, a 禁忌 until lifted);
:func:`apply` post-processes an engine forecast so that a deferred series shows 暂缓 with the date
it may be given from and a contraindicated one 禁忌 — the engine itself stays pure and never
proposes them, since only 应种 / 超期未种 series are proposed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from epimanager.domain.precheck import Outcome
from epimanager.domain.schedule import Forecast, SeriesStatus
from epimanager.errors import NotFoundError, StaleRecord, ValidationError
from epimanager.resources import catalog
from epimanager.services import audit, permissions
from epimanager.store.database import Database
from epimanager.store.models import Child
from epimanager.store.models_precheck import Deferral


@dataclass(frozen=True, slots=True)
class DeferralRecord:
    id: int
    vaccine_code: str
    vaccine_name: str
    kind: str
    until: date | None
    reason: str
    created_at: datetime
    created_by: str | None
    version: int
    lifted_at: datetime | None = None
    lifted_by: str | None = None
    lift_reason: str | None = None

    @property
    def contraindicated(self) -> bool:
        return self.kind == Outcome.CONTRA.value

    @property
    def text(self) -> str:
        """暂缓至 2026-12-14 / 禁忌"""
        return f"暂缓至 {self.until.isoformat()}" if self.until is not None and not self.contraindicated else self.kind

    def to_json(self) -> dict[str, object]:
        vac = catalog().get(self.vaccine_code)
        return {
            "id": self.id,
            "vaccine": vac.abbr if vac else self.vaccine_code,
            "code": self.vaccine_code,
            "name": self.vaccine_name,
            "kind": self.kind,
            "until": self.until.isoformat() if self.until else None,
            "reason": self.reason,
            "version": self.version,
            "lifted": self.lifted_at is not None,
        }


def record(row: Deferral) -> DeferralRecord:
    vac = catalog().get(row.vaccine_code)
    return DeferralRecord(
        row.id, row.vaccine_code, vac.name if vac else row.vaccine_code, row.kind, row.until, row.reason,
        row.created_at, row.created_by, row.version, row.lifted_at, row.lifted_by, row.lift_reason,
    )  # fmt: skip


def active(s: Session, child_id: int, day: date) -> dict[str, DeferralRecord]:
    """vaccine code → the deferral in force on ``day`` (a 禁忌 before any 暂缓, else the latest 暂缓)."""
    q = select(Deferral).where(
        Deferral.child_id == child_id,
        Deferral.lifted_at.is_(None),
        or_(Deferral.kind == Outcome.CONTRA.value, Deferral.until > day),  # past 暂缓 are history
    )
    out: dict[str, DeferralRecord] = {}
    for row in s.scalars(q.order_by(Deferral.id)):
        r = record(row)
        if not r.contraindicated and (r.until is None or r.until <= day):
            continue
        old = out.get(r.vaccine_code)
        later = not old.contraindicated and r.until and old.until and r.until > old.until if old else False
        if old is None or (r.contraindicated and not old.contraindicated) or later:
            out[r.vaccine_code] = r
    return out


_OPEN = (SeriesStatus.DUE, SeriesStatus.OVERDUE, SeriesStatus.NOT_YET)


def apply(fc: Forecast, deferrals: Mapping[str, DeferralRecord]) -> Forecast:
    """The forecast with each open series whose product is deferred shown 暂缓 (from the later of
    its earliest date and the deferral's) or contraindicated shown 禁忌, with the reason as a note."""
    if not deferrals:
        return fc
    series = []
    for f in fc.series:
        d = deferrals.get(f.vaccine or "")
        if d is None or f.status not in _OPEN:
            series.append(f)
        elif d.contraindicated:
            note = f"禁忌：{d.reason}"
            series.append(f._replace(status=SeriesStatus.CONTRAINDICATED, earliest=None, notes=(*f.notes, note)))
        elif d.until is not None and (f.earliest is None or f.earliest <= d.until):
            note = f"暂缓至 {d.until.isoformat()}：{d.reason}"
            series.append(f._replace(status=SeriesStatus.DEFERRED, earliest=d.until, notes=(*f.notes, note)))
        else:
            series.append(f)
    return replace(fc, series=tuple(series))


def apply_for(s: Session, child_id: int, fc: Forecast) -> Forecast:
    """:func:`apply` with the child's deferrals in force on the forecast date."""
    return apply(fc, active(s, child_id, fc.as_of))


def lift(
    db: Database,
    code: str,
    vaccine: str,
    reason: str,
    *,
    expected_version: int | None = None,
    user: str | None = None,
    now: datetime | None = None,
) -> DeferralRecord:
    """A 业务管理员 lifts a child's 禁忌 of ``vaccine`` with the doctor's note (audited)."""
    permissions.check(db, "lift_contraindication")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("解除禁忌须填写医生意见或理由")
    if len(reason) > 200:
        raise ValidationError("理由不能超过200个字")
    now = (now or datetime.now()).replace(microsecond=0)
    try:
        vac = catalog().resolve(vaccine)
    except KeyError as exc:
        raise ValidationError(str(exc.args[0])) from None
    with db.transaction() as s:
        child = s.scalar(select(Child).where(Child.code == (code or "").strip(), Child.deleted.is_(False)))
        if child is None:
            raise NotFoundError(f"找不到儿童：{code}")
        row = s.scalar(
            select(Deferral)
            .where(Deferral.child_id == child.id, Deferral.vaccine_code == vac.code,
                   Deferral.kind == Outcome.CONTRA.value, Deferral.lifted_at.is_(None))
            .order_by(Deferral.id.desc())
        )  # fmt: skip
        if row is None:
            raise NotFoundError(f"{child.name}没有{vac.name}的禁忌")
        if expected_version is not None and expected_version != row.version:
            raise StaleRecord("另一台电脑刚刚改了这条禁忌，请刷新后重试（未保存任何改动）")
        who = permissions.operator(db, user)
        row.lifted_at, row.lifted_by, row.lift_reason = now, who, reason
        try:
            s.flush()
        except StaleDataError as exc:
            raise StaleRecord("另一台电脑刚刚改了这条禁忌，请刷新后重试（未保存任何改动）") from exc
        audit.record(
            s, kind="precheck", entity="child", entity_uuid=child.uuid, child_id=child.id, user=user,
            field="contraindication", old=f"{vac.name}禁忌：{row.reason}", new=f"已解除：{reason}", at=now,
        )  # fmt: skip
        return record(row)
