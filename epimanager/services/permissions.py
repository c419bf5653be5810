"""The one permission check point for services.

Who is acting
    :func:`epimanager.services.users.login` authenticates a user and registers
    them here as the *actor* of that database file (keyed by its resolved path,
    for this process: the GUI after its login dialog, the CLI after ``--user``).
    Every :class:`~epimanager.services.database.Database` opened on that file in
    this process then acts as that user, also after a restore reopens it.

The rule
    * Setup mode: while the database has **no user at all** (a fresh ``init``,
      every database made before the users issue) every action is allowed, as
      an implicit administrator, so that the first 系统管理员 can be created.
    * Once a user exists, a protected action needs a logged-in, active actor
      whose role (read again from the ``app_user`` table at each check, so a
      disabled or demoted user loses rights at once) ranks at least
      ``ACTIONS[action]``.  Otherwise :class:`PermissionDenied` (CLI exit 5)
      names the role needed.

The ``user`` argument services pass is only the operator name they write in
their records; it never grants anything.

Not protected (any logged-in user, 普通用户 included): children and doses —
create, edit, soft-delete own doses —, searches, reports, backups, 区域划分.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from epimanager.errors import PermissionDenied

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from epimanager.services.database import Database

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
    "restore_child": BUSINESS_ADMIN,
    "restore_dose": BUSINESS_ADMIN,
    "merge_children": BUSINESS_ADMIN,
    "undo_merge": BUSINESS_ADMIN,
    "change_unit_config": BUSINESS_ADMIN,
    "restore_backup": BUSINESS_ADMIN,
    "apply_upgrade": BUSINESS_ADMIN,
    "rollback_upgrade": BUSINESS_ADMIN,
    "manage_users": SYSTEM_ADMIN,
}

#: Action names as a nurse reads them in a refusal.
ACTION_LABELS: dict[str, str] = {
    "delete_child": "删除个案",
    "restore_child": "恢复个案",
    "restore_dose": "恢复接种记录",
    "merge_children": "合并个案",
    "undo_merge": "撤销合并",
    "change_unit_config": "修改单位配置",
    "restore_backup": "从备份恢复",
    "apply_upgrade": "安装升级",
    "rollback_upgrade": "回滚升级",
    "manage_users": "用户管理",
}


@dataclass(frozen=True)
class Actor:
    """The user acting on a database in this process."""

    name: str
    role: str


_actors: dict[str, Actor] = {}


def _key(path: Path | str) -> str:
    return str(Path(path).resolve())


def rank(role: str) -> int:
    """0 for an unknown role, else 1 (普通用户) … 3 (系统管理员)."""
    return ROLES.index(role) + 1 if role in ROLES else 0


def set_actor(db_path: Path | str, actor: Actor | None) -> None:
    """Make ``actor`` the user acting on ``db_path`` (None = log out)."""
    if actor is None:
        _actors.pop(_key(db_path), None)
    else:
        _actors[_key(db_path)] = actor


def actor_for(db_path: Path | str) -> Actor | None:
    return _actors.get(_key(db_path))


def current_actor(db: Database) -> Actor | None:
    """The logged-in user on ``db`` (None in setup mode or before login)."""
    return actor_for(db.path)


def actor_name(db: Database) -> str | None:
    actor = current_actor(db)
    return actor.name if actor else None


def session_actor(session: Session) -> str | None:
    """The logged-in user's name for the database ``session`` is bound to (audit author)."""
    if not _actors:
        return None
    try:
        bind = session.get_bind()
    except Exception:  # noqa: BLE001 - an unbound session simply has no actor
        return None
    path = bind.engine.url.database
    actor = actor_for(path) if path else None
    return actor.name if actor else None


def _users_state(db_path: Path | str, name: str | None) -> tuple[int, tuple[str, bool] | None]:
    """(number of users, (role, active) of ``name`` or None), read with plain sqlite3."""
    path = Path(db_path)
    if not path.exists():
        return 0, None
    con = sqlite3.connect(path, timeout=10)
    try:
        try:
            count = int(con.execute("SELECT count(*) FROM app_user").fetchone()[0])
        except sqlite3.OperationalError:  # table not there yet (before 0007_users)
            return 0, None
        row = None
        if name is not None:
            row = con.execute("SELECT role, active FROM app_user WHERE name = ?", (name,)).fetchone()
        return count, (str(row[0]), bool(row[1])) if row else None
    finally:
        con.close()


def user_count(db_path: Path | str) -> int:
    """How many users the database file has (0 = setup mode; also for a missing file or table)."""
    return _users_state(db_path, None)[0]


def check_path(db_path: Path | str, user: str | None, action: str) -> None:
    """:func:`check` for callers that hold a database file rather than a ``Database`` (upgrade)."""
    needed = ACTIONS.get(action)
    if needed is None:
        raise PermissionDenied(f"未知的操作权限：{action}")
    actor = actor_for(db_path)
    count, state = _users_state(db_path, actor.name if actor else None)
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
    _ = user


def check(db: Database, user: str | None, action: str) -> None:
    """Raise :class:`PermissionDenied` unless the actor on ``db`` may do ``action``."""
    check_path(db.path, user, action)
