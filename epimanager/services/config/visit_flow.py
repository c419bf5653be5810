"""The clinic's visit flow settings (``app_config``): ``visit.steps`` (e.g. ``登记,接种,留观`` on a one-PC
clinic; default all four), ``visit.call_timeout_minutes`` (5), ``visit.max_misses`` (3),
``visit.observe_minutes`` (30)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from epimanager.domain import visit as dv
from epimanager.services import permissions
from epimanager.store.database import Database, set_config
from epimanager.store.models import AppConfig

STEPS_KEY = "visit.steps"
TIMEOUT_KEY = "visit.call_timeout_minutes"
MISSES_KEY = "visit.max_misses"
OBSERVE_KEY = "visit.observe_minutes"


def _int(value: str | None, default: int) -> int:
    return int(value) if value and value.strip().lstrip("-").isdigit() else default


def flow_of(s: Session) -> dv.Flow:
    """The settings in one read (every desk action asks for them)."""
    keys = (STEPS_KEY, TIMEOUT_KEY, MISSES_KEY, OBSERVE_KEY)
    rows = s.execute(select(AppConfig.key, AppConfig.value).where(AppConfig.key.in_(keys)))
    got: dict[str, str] = {key: value for key, value in rows}
    steps = got.get(STEPS_KEY)
    default = dv.Flow()
    return dv.Flow(
        tuple(dv.parse_step(x) for x in steps.split(",") if x.strip()) if steps else default.steps,
        _int(got.get(TIMEOUT_KEY), default.call_timeout_minutes),
        _int(got.get(MISSES_KEY), default.max_misses),
        _int(got.get(OBSERVE_KEY), default.observe_minutes),
    )


def flow(db: Database) -> dv.Flow:
    """The clinic's enabled steps and timings."""
    with db.session() as s:
        return flow_of(s)


def set_flow(
    db: Database,
    *,
    steps: list[str] | None = None,
    call_timeout_minutes: int | None = None,
    max_misses: int | None = None,
    observe_minutes: int | None = None,
) -> dv.Flow:
    """Change the clinic's flow settings (业务管理员); step names in Chinese or English."""
    permissions.check(db, "change_unit_config")
    with db.transaction() as s:
        old = flow_of(s)
        new = dv.Flow(
            tuple(dv.parse_step(x) for x in steps) if steps is not None else old.steps,
            call_timeout_minutes if call_timeout_minutes is not None else old.call_timeout_minutes,
            max_misses if max_misses is not None else old.max_misses,
            observe_minutes if observe_minutes is not None else old.observe_minutes,
        )
        set_config(s, STEPS_KEY, ",".join(x.value for x in new.steps))
        set_config(s, TIMEOUT_KEY, str(new.call_timeout_minutes))
        set_config(s, MISSES_KEY, str(new.max_misses))
        set_config(s, OBSERVE_KEY, str(new.observe_minutes))
    return new
