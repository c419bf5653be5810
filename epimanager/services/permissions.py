"""The one permission check point for services.

Who is acting
    :func:`epimanager.services.users.login` authenticates a user and sets them as the
    :attr:`~epimanager.store.database.Database.actor` of the handle it was given (the GUI
    window's handle after its login dialog, the CLI command's handle after ``--user``). The
    actor travels with that handle and with every session it opens; there is no process-wide
    "current user".

The rule
    * Setup mode: while the database has **no user at all** (a fresh ``init``,
      every database made before the users issue) every action is allowed, as
      an implicit administrator, so that the first 系统管理员 can be created.
    * Once a user exists, a protected action needs a logged-in, active actor
      whose role (read again from the ``app_user`` table at each check, so a
      disabled or demoted user loses rights at once) ranks at least
      ``ACTIONS[action]``.  Otherwise :class:`PermissionDenied` (CLI exit 5)
      names the role needed.

Who is written down
    :func:`operator` is the one answer to "whose name goes on this record" (audit author,
    default nurse): the logged-in actor, else (setup mode) the name the caller passed.

Not protected (any logged-in user, 普通用户 included): children and doses —
create, edit, soft-delete own doses —, searches, reports, backups, 区域划分.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session as SessionType

from epimanager.domain.actor import Actor
from epimanager.errors import PermissionDenied
from epimanager.store.database import ACTOR_KEY
from epimanager.store.sqlite_files import users_state

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from epimanager.store.database import Database

__all__ = ["ACTIONS", "ROLES", "Actor", "check", "check_path", "nurse_name", "operator", "rank"]

log = logging.getLogger(__name__)

SYSTEM_ADMIN = "系统管理员"
BUSINESS_ADMIN = "业务管理员"
ORDINARY = "普通用户"

#: Roles, lowest first; a role may do everything a lower one may.
ROLES: tuple[str, ...] = (ORDINARY, BUSINESS_ADMIN, SYSTEM_ADMIN)

#: Role names as written in the (masked, English) log.
ROLE_CODES: dict[str, str] = {ORDINARY: "user", BUSINESS_ADMIN: "business_admin", SYSTEM_ADMIN: "system_admin"}

#: Actions guarded here, with the lowest role allowed to do them.
ACTIONS: dict[str, str] = {
    "delete_child": BUSINESS_ADMIN,
    "delete_others_dose": BUSINESS_ADMIN,
    "restore_child": BUSINESS_ADMIN,
    "restore_dose": BUSINESS_ADMIN,
    "merge_children": BUSINESS_ADMIN,
    "undo_merge": BUSINESS_ADMIN,
    "change_unit_config": BUSINESS_ADMIN,
    "restore_backup": BUSINESS_ADMIN,
    "apply_upgrade": BUSINESS_ADMIN,
    "lift_contraindication": BUSINESS_ADMIN,
    "rollback_upgrade": BUSINESS_ADMIN,
    "manage_recalls": BUSINESS_ADMIN,
    "scan_override": BUSINESS_ADMIN,
    "manage_users": SYSTEM_ADMIN,
}

#: Action names as a nurse reads them in a refusal.
ACTION_LABELS: dict[str, str] = {
    "delete_child": "删除个案",
    "delete_others_dose": "删除他人登记的接种记录",
    "restore_child": "恢复个案",
    "restore_dose": "恢复接种记录",
    "merge_children": "合并个案",
    "undo_merge": "撤销合并",
    "change_unit_config": "修改单位配置",
    "restore_backup": "从备份恢复",
    "apply_upgrade": "安装升级",
    "rollback_upgrade": "回滚升级",
    "lift_contraindication": "解除预检禁忌",
    "manage_recalls": "维护召回/封存批号清单",
    "scan_override": "强制通过扫码核对",
    "manage_users": "用户管理",
}


def rank(role: str) -> int:
    """0 for an unknown role, else 1 (普通用户) … 3 (系统管理员)."""
    return ROLES.index(role) + 1 if role in ROLES else 0


def operator(who: Database | Session, user: str | None = None) -> str | None:
    """The name to write on a record: the logged-in actor's, else ``user`` (setup mode, or no login)."""
    actor = who.info.get(ACTOR_KEY) if isinstance(who, SessionType) else who.actor
    return actor.name if actor is not None else user


def nurse_name(who: Database | Session, user: str | None = None) -> str | None:
    """The 接种护士 of a dose given here when the caller names none: the logged-in actor's real
    name (display name), else ``user`` (setup mode, or no login)."""
    actor = who.info.get(ACTOR_KEY) if isinstance(who, SessionType) else who.actor
    return actor.real_name if actor is not None else user


def _decide(action: str, actor: Actor | None, count: int, state: tuple[str, bool] | None) -> None:
    needed = ACTIONS.get(action)
    if needed is None:
        raise PermissionDenied(f"未知的操作权限：{action}")
    if count == 0:
        return  # setup mode: no user yet
    label = ACTION_LABELS.get(action, action)
    if actor is None:
        log.warning("permission refused: action=%s, nobody logged in", action)
        raise PermissionDenied(f"{label}需要先登录（需要{needed}或以上角色）")
    if state is None or not state[1]:
        log.warning("permission refused: action=%s user=%s (unknown or disabled)", action, actor.name)
        raise PermissionDenied(f"用户 {actor.name} 不存在或已停用，请重新登录")
    role = state[0]
    if rank(role) < rank(needed):
        log.warning("permission refused: action=%s user=%s role=%s", action, actor.name, ROLE_CODES.get(role, "?"))
        raise PermissionDenied(f"{label}需要{needed}或以上角色；当前用户 {actor.name} 是{role}")


def check(db: Database, action: str) -> None:
    """Raise :class:`PermissionDenied` unless ``db``'s actor may do ``action``."""
    from sqlalchemy import func, select

    from epimanager.store.models_users import AppUser

    with db.session() as s:
        count = int(s.scalar(select(func.count()).select_from(AppUser)) or 0)
        state = None
        if count and db.actor is not None:
            row = s.execute(select(AppUser.role, AppUser.active).where(AppUser.name == db.actor.name)).first()
            state = (str(row[0]), bool(row[1])) if row else None
    _decide(action, db.actor, count, state)


def check_path(db_path: Path | str, actor: Actor | None, action: str) -> None:
    """:func:`check` for callers that hold a database file rather than an open handle (upgrade)."""
    count, state = users_state(Path(db_path), actor.name if actor else None)
    _decide(action, actor, count, state)
