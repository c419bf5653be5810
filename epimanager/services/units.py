"""The own unit (接种单位) and its 区域划分."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from epimanager.domain.identifiers import county_of, unit_code_problem
from epimanager.errors import EpiError, ValidationError
from epimanager.paths import DbLocation
from epimanager.services import permissions
from epimanager.store.database import OWN_UNIT_KEY, Database, get_config, open_database, set_config
from epimanager.store.models import Committee, Unit


@dataclass(frozen=True)
class UnitInfo:
    code: str
    name: str
    committees: tuple[str, ...]


def init_database(path: DbLocation, unit_code: str, unit_name: str, committees: list[str] | None = None) -> UnitInfo:
    """Create (or migrate) the database and set the own unit.

    Re-running on an existing database keeps its data; changing the own unit
    of a database that already has one is refused.
    """
    problem = unit_code_problem(unit_code)
    if problem:
        raise ValidationError(problem)
    if not unit_name.strip():
        raise ValidationError("单位名称不能为空")
    db = open_database(path, create=True)
    try:
        with db.transaction() as s:
            current = get_config(s, OWN_UNIT_KEY)
            if current and current != unit_code:
                raise EpiError(f"此数据库已属于接种单位 {current}，不能改为 {unit_code}")
            if current:  # re-running init on a database in use changes its unit configuration
                permissions.check(db, "change_unit_config")
            unit = s.get(Unit, unit_code)
            if unit is None:
                s.add(Unit(code=unit_code, name=unit_name.strip(), level=4, county_code=county_of(unit_code)))
            else:
                unit.name = unit_name.strip()
            set_config(s, OWN_UNIT_KEY, unit_code)
            s.flush()
            for name in committees or []:
                _ensure_committee(s, unit_code, name)
        return unit_info(db)
    finally:
        db.close()


def find_committees(s: Session, unit_code: str, text: str, *, by_code: bool = False) -> list[Committee]:
    """The unit's 区域划分 named ``text`` (with ``by_code``, also the one whose code is ``text``)."""
    t = text.strip()
    match = or_(Committee.name == t, Committee.code == t) if by_code else Committee.name == t
    return list(s.scalars(select(Committee).where(Committee.unit_code == unit_code, match).order_by(Committee.code)))


def require_committee_ids(s: Session, unit_code: str, text: str, *, by_code: bool = False) -> list[int]:
    """Ids of :func:`find_committees`; refused, naming the unit's 区域划分, when there is none."""
    found = find_committees(s, unit_code, text, by_code=by_code)
    if not found:
        known = "、".join(committee_names(s, unit_code).values())
        if not known:
            raise ValidationError(f"区域划分“{text}”不存在；本单位尚未设置区域划分", fix="committee")
        raise ValidationError(f"区域划分“{text}”不存在；可选：{known}")
    return [c.id for c in found]


def committee_names(s: Session, unit_code: str) -> dict[int, str]:
    """区域划分 id → name of the unit, in code order."""
    rows = s.execute(
        select(Committee.id, Committee.name).where(Committee.unit_code == unit_code).order_by(Committee.code)
    )
    return {int(cid): str(name) for cid, name in rows}


def _ensure_committee(s: Session, unit_code: str, name: str) -> Committee:
    name = name.strip()
    if not name:
        raise ValidationError("区域划分名称不能为空")
    existing = find_committees(s, unit_code, name)
    if existing:
        return existing[0]
    n = len(s.scalars(select(Committee.id).where(Committee.unit_code == unit_code)).all())
    c = Committee(unit_code=unit_code, code=f"{n + 1:02d}", name=name, counted=True, active=True)
    s.add(c)
    s.flush()
    return c


def add_committee(db: Database, name: str) -> str:
    unit = db.own_unit_code()
    with db.transaction() as s:
        return _ensure_committee(s, unit, name).name


def unit_info(db: Database) -> UnitInfo:
    code = db.own_unit_code()
    with db.session() as s:
        unit = s.get(Unit, code)
        return UnitInfo(code, unit.name if unit else "", tuple(committee_names(s, code).values()))


def unit_names_in(s: Session, codes: Iterable[str | None]) -> dict[str, str]:
    """Names of the units ``codes`` (another unit shown by its name, not a bare code).

    From the units this database knows, then from the newest unit-code list; a code
    found in neither is left out.
    """
    wanted = {c for c in codes if c}
    if not wanted:
        return {}
    names = {code: name for code, name in s.execute(select(Unit.code, Unit.name).where(Unit.code.in_(wanted)))}
    missing = wanted - names.keys()
    if missing:
        from epimanager.services.config.unit_codes import load_unit_codes

        try:
            _, entries = load_unit_codes()
        except EpiError:  # no list installed: codes stay codes
            entries = []
        names.update({e.code: e.name for e in entries if e.code in missing})
    return names


def committee_ids(db: Database) -> dict[str, int]:
    """区域划分 name → id for the own unit."""
    code = db.own_unit_code()
    with db.session() as s:
        rows = s.execute(select(Committee.name, Committee.id).where(Committee.unit_code == code)).all()
        return {name: cid for name, cid in rows}
