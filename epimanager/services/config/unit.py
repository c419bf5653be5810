"""The own unit (picked from the unit-code list) and its 区域划分."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epimanager.domain.identifiers import county_of, unit_code_problem
from epimanager.errors import EpiError, NotFoundError, ValidationError
from epimanager.services import permissions
from epimanager.services.config.common import UNIT_YEAR_KEY
from epimanager.services.config.unit_codes import find_unit_code, load_unit_codes
from epimanager.services.units import UnitInfo, add_committee, find_committees, unit_info
from epimanager.store.database import OWN_UNIT_KEY, Database, get_config, set_config
from epimanager.store.models import Child, Committee, Unit


@dataclass(frozen=True)
class SetUnitResult:
    info: UnitInfo
    listed: bool
    year: int | None
    warning: str | None


def set_unit(
    db: Database,
    code: str,
    name: str | None = None,
    *,
    allow_unlisted: bool = False,
    year: int | None = None,
) -> SetUnitResult:
    """Set the own unit from the unit-code list (name defaults to the list's).

    A database that already holds children keeps its unit code (child codes contain it).
    """
    code = code.strip()
    problem = unit_code_problem(code)
    if problem:
        raise ValidationError(problem)
    list_year, _ = load_unit_codes(year)
    entry = find_unit_code(code, list_year)
    warning = None
    if entry is None:
        if not allow_unlisted:
            raise ValidationError(
                f"单位编码 {code} 不在 {list_year} 年单位编码表中；请从编码表中选择",
                fix="allow_unlisted",
            )
        warning = f"注意：单位编码 {code} 不在 {list_year} 年单位编码表中，请与县级疾控核对"
    unit_name = (name or "").strip() or (entry.name if entry else "")
    if not unit_name:
        raise ValidationError("单位名称不能为空")
    permissions.check(db, "change_unit_config")
    with db.transaction() as s:
        current = get_config(s, OWN_UNIT_KEY)
        if current and current != code:
            children = s.scalar(select(func.count()).select_from(Child)) or 0
            if children:
                raise EpiError(
                    f"此数据库已有 {children} 个儿童个案，属于接种单位 {current}，不能改为 {code}"
                    "（儿童编码包含单位编码）"
                )
        unit = s.get(Unit, code)
        if unit is None:
            s.add(Unit(code=code, name=unit_name, level=4, county_code=county_of(code)))
            s.flush()
        else:
            unit.name = unit_name
        if current and current != code:
            for c in s.scalars(select(Committee).where(Committee.unit_code == current)):
                c.unit_code = code
        set_config(s, OWN_UNIT_KEY, code)
        set_config(s, UNIT_YEAR_KEY, str(list_year))
    return SetUnitResult(unit_info(db), entry is not None, list_year, warning)


@dataclass(frozen=True)
class CommitteeRecord:
    code: str
    name: str
    active: bool


def list_committees(db: Database) -> list[CommitteeRecord]:
    own = db.own_unit_code()
    with db.session() as s:
        rows = s.scalars(select(Committee).where(Committee.unit_code == own).order_by(Committee.code))
        return [CommitteeRecord(c.code, c.name, c.active) for c in rows]


def _committee(s: Session, own: str, name: str) -> Committee:
    found = find_committees(s, own, name)
    if not found:
        raise NotFoundError(f"没有名为“{name}”的区域划分")
    return found[0]


def rename_committee(db: Database, old: str, new: str) -> CommitteeRecord:
    new = new.strip()
    if not new:
        raise ValidationError("区域划分名称不能为空")
    own = db.own_unit_code()
    with db.transaction() as s:
        c = _committee(s, own, old)
        if any(clash.id != c.id for clash in find_committees(s, own, new)):
            raise ValidationError(f"已有名为“{new}”的区域划分")
        c.name = new
        return CommitteeRecord(c.code, c.name, c.active)


def set_committee_active(db: Database, name: str, active: bool) -> CommitteeRecord:
    """停用 / 启用 (a 区域划分 is never deleted: children refer to it)."""
    own = db.own_unit_code()
    with db.transaction() as s:
        c = _committee(s, own, name)
        c.active = active
        return CommitteeRecord(c.code, c.name, c.active)


def add_committees(db: Database, names: list[str]) -> list[str]:
    return [add_committee(db, n) for n in names]
