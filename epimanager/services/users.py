"""Users, roles and login.

Passwords are hashed with scrypt (``hashlib.scrypt``, OpenSSL; n=2**15, r=8,
p=1, 16-byte salt) and stored as ``scrypt$n$r$p$salt$hash`` (base64); they are
never stored, logged or returned in clear.  Five wrong passwords in a row lock
the account for five minutes.  :func:`login` registers the authenticated user as
the actor of the database (see :mod:`epimanager.services.permissions`).

Setup mode: while no user exists anyone may create users, and the first one
must be a 系统管理员.  Afterwards only a 系统管理员 manages users; every user
may change their own password (knowing the current one).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import math
import os
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from epimanager.errors import NotFoundError, PermissionDenied, ValidationError
from epimanager.services import permissions
from epimanager.services.permissions import ROLE_CODES, ROLES, SYSTEM_ADMIN, Actor
from epimanager.store.database import Database, get_config, set_config
from epimanager.store.models_users import AppUser

log = logging.getLogger(__name__)

SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
HASH_BYTES = 32
MAX_FAILURES = 5
LOCK_MINUTES = 5
MIN_PASSWORD_LENGTH = 8
BAD_LOGIN = "用户名或密码错误"


@dataclass(frozen=True)
class UserRecord:
    name: str
    role: str
    active: bool
    locked_until: datetime | None
    failed_count: int
    created_at: datetime
    last_login: datetime | None
    #: the real name (姓名) written as 接种护士; None: not given
    display_name: str | None = None

    @classmethod
    def from_orm(cls, u: AppUser) -> UserRecord:
        return cls(u.name, u.role, u.active, u.locked_until, u.failed_count, u.created_at, u.last_login, u.display_name)

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "display_name": self.display_name,
            "role": self.role,
            "active": self.active,
            "locked_until": self.locked_until.isoformat(timespec="seconds") if self.locked_until else None,
            "created_at": self.created_at.isoformat(timespec="seconds"),
            "last_login": self.last_login.isoformat(timespec="seconds") if self.last_login else None,
        }


# -- hashing ------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=256 * r * n + (1 << 20), dklen=length
    )


def hash_password(password: str) -> str:
    """A PHC-style ``scrypt$n$r$p$salt$hash`` string for ``password``."""
    salt = os.urandom(SALT_BYTES)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, HASH_BYTES)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """Constant-time comparison of ``password`` against a :func:`hash_password` string."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = _unb64(digest)
        actual = _scrypt(password, _unb64(salt), int(n), int(r), int(p), len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


_dummy_hash: list[str] = []


def _burn_time(password: str) -> None:
    """Spend a hash's time on an unknown name, so timing does not tell which names exist."""
    if not _dummy_hash:
        _dummy_hash.append(hash_password("dummy-password"))
    verify_password(password, _dummy_hash[0])


# -- checks -------------------------------------------------------------------------------


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError("用户名不能为空")
    if len(name) > 50:
        raise ValidationError("用户名不能超过 50 个字符")
    return name


def _clean_display_name(display_name: str | None) -> str | None:
    """A user's real name (姓名): optional, one line, at most 20 characters."""
    from epimanager.domain.validation import control_character

    text = (display_name or "").strip()
    if not text:
        return None
    if len(text) > 20:
        raise ValidationError("姓名不能超过 20 个字")
    bad = control_character(text)
    if bad:
        raise ValidationError(f"姓名含有不可见的控制字符（{bad}），请重新输入")
    return text


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise ValidationError(f"未知的角色：{role}（可选：{'、'.join(ROLES)}）")
    return role


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"密码至少 {MIN_PASSWORD_LENGTH} 个字符")


def _count(s: Session) -> int:
    return int(s.scalar(select(func.count()).select_from(AppUser)) or 0)


def _get(s: Session, name: str) -> AppUser:
    user = s.scalar(select(AppUser).where(AppUser.name == name.strip()))
    if user is None:
        raise NotFoundError(f"找不到用户 {name}")
    return user


def has_users(db: Database) -> bool:
    """False while the database is in setup mode (no user created yet)."""
    with db.session() as s:
        return _count(s) > 0


# -- management (系统管理员) ------------------------------------------------------------------


def add_user(
    db: Database,
    name: str,
    password: str,
    role: str,
    *,
    display_name: str | None = None,
    now: datetime | None = None,
) -> UserRecord:
    """Create a user (``display_name``: the real name written as 接种护士).  In setup mode the
    first user must be a 系统管理员."""
    name = _clean_name(name)
    real = _clean_display_name(display_name)
    _check_role(role)
    _check_password(password)
    permissions.check(db, "manage_users")
    with db.transaction() as s:
        if _count(s) == 0 and role != SYSTEM_ADMIN:
            raise ValidationError(f"第一个用户必须是{SYSTEM_ADMIN}")
        if s.scalar(select(AppUser.id).where(AppUser.name == name)) is not None:
            raise ValidationError(f"用户名 {name} 已存在")
        user = AppUser(
            name=name,
            display_name=real,
            role=role,
            password_hash=hash_password(password),
            active=True,
            failed_count=0,
            created_at=now or datetime.now(),
        )
        s.add(user)
        s.flush()
        record = UserRecord.from_orm(user)
    log.info("user created: %s role=%s", name, ROLE_CODES[role])
    return record


def create_first_admin(db: Database, name: str, password: str, display_name: str | None = None) -> UserRecord:
    """First run: create the first 系统管理员 (refused once any user exists)."""
    if has_users(db):
        raise PermissionDenied("已存在用户；新用户由系统管理员在用户管理中创建")
    return add_user(db, name, password, SYSTEM_ADMIN, display_name=display_name)


def set_display_name(db: Database, name: str, display_name: str | None) -> UserRecord:
    """Change a user's real name: a 系统管理员 for anyone, every user for themselves."""
    real = _clean_display_name(display_name)
    if db.actor is None or db.actor.name != name.strip():
        permissions.check(db, "manage_users")
    with db.transaction() as s:
        user = _get(s, name)
        user.display_name = real
        record = UserRecord.from_orm(user)
    if db.actor is not None and db.actor.name == record.name:
        db.actor = replace(db.actor, display_name=real)
    log.info("user display name changed: %s", record.name)
    return record


def list_users(db: Database) -> list[UserRecord]:
    permissions.check(db, "manage_users")
    with db.session() as s:
        return [UserRecord.from_orm(u) for u in s.scalars(select(AppUser).order_by(AppUser.id))]


def get_user(db: Database, name: str) -> UserRecord:
    with db.session() as s:
        return UserRecord.from_orm(_get(s, name))


def _active_admins(s: Session, other_than: str | None = None) -> int:
    q = select(func.count()).select_from(AppUser).where(AppUser.role == SYSTEM_ADMIN, AppUser.active.is_(True))
    if other_than is not None:
        q = q.where(AppUser.name != other_than)
    return int(s.scalar(q) or 0)


def set_role(db: Database, name: str, role: str) -> UserRecord:
    _check_role(role)
    permissions.check(db, "manage_users")
    with db.transaction() as s:
        user = _get(s, name)
        if user.role == SYSTEM_ADMIN and role != SYSTEM_ADMIN and _active_admins(s, user.name) == 0:
            raise ValidationError(f"至少要保留一个启用的{SYSTEM_ADMIN}")
        user.role = role
        record = UserRecord.from_orm(user)
    log.info("user role changed: %s role=%s", record.name, ROLE_CODES[role])
    return record


def set_active(db: Database, name: str, active: bool) -> UserRecord:
    """Disable (or enable again) a user; the last active 系统管理员 cannot be disabled."""
    permissions.check(db, "manage_users")
    with db.transaction() as s:
        user = _get(s, name)
        if not active and user.role == SYSTEM_ADMIN and _active_admins(s, user.name) == 0:
            raise ValidationError(f"至少要保留一个启用的{SYSTEM_ADMIN}")
        user.active = active
        record = UserRecord.from_orm(user)
    log.info("user %s: %s", "enabled" if active else "disabled", record.name)
    return record


def unlock(db: Database, name: str) -> UserRecord:
    permissions.check(db, "manage_users")
    with db.transaction() as s:
        user = _get(s, name)
        user.failed_count = 0
        user.locked_until = None
        record = UserRecord.from_orm(user)
    log.info("user unlocked: %s", record.name)
    return record


def reset_password(db: Database, name: str, new_password: str) -> None:
    """A 系统管理员 sets another user's password (also unlocks the account)."""
    _check_password(new_password)
    permissions.check(db, "manage_users")
    with db.transaction() as s:
        user = _get(s, name)
        user.password_hash = hash_password(new_password)
        user.failed_count = 0
        user.locked_until = None
    log.info("password reset by administrator: %s", name)


# -- login --------------------------------------------------------------------------------


def _minutes_left(until: datetime, now: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds() / 60))


def _locked_message(name: str, until: datetime, now: datetime) -> str:
    return f"账户 {name} 因多次密码错误已锁定，请 {_minutes_left(until, now)} 分钟后再试（或请系统管理员解锁）"


def authenticate(db: Database, name: str, password: str, *, now: datetime | None = None) -> Actor:
    """Check ``name``/``password``: counts failures, locks after :data:`MAX_FAILURES`.

    Raises :class:`PermissionDenied` with the message to show: an unknown name and a wrong
    password read exactly the same (:data:`BAD_LOGIN`, no count of tries left, which only a
    real account could have); a locked account says how many minutes remain.  The password is
    checked outside any transaction; the failure count then goes up in one ``UPDATE … SET
    failed_count = failed_count + 1`` that holds the write lock while the new count is read
    back, so parallel guesses (threads or processes on one database file) are all counted.
    """
    now = now or datetime.now()
    name = (name or "").strip()
    with db.session() as s:
        user = s.scalar(select(AppUser).where(AppUser.name == name)) if name else None
        found = (
            None
            if user is None
            else (user.id, user.name, user.role, user.active, user.password_hash, user.display_name)
        )
        locked_until = None if user is None else user.locked_until
    if found is None:
        _burn_time(password)
        log.warning("login failed: unknown user")
        raise PermissionDenied(_unknown_name_failure(db, name, now))
    uid, uname, role, active, stored, real = found
    if locked_until is not None and locked_until > now:
        log.warning("login refused: %s is locked", uname)
        raise PermissionDenied(_locked_message(uname, locked_until, now))
    ok = verify_password(password, stored)
    if ok and not active:
        log.warning("login refused: %s is disabled", uname)
        raise PermissionDenied(f"用户 {uname} 已停用，请联系系统管理员")
    not_locked = or_(AppUser.locked_until.is_(None), AppUser.locked_until <= now)
    with db.transaction() as s:
        if ok:
            done = s.connection().execute(
                update(AppUser)
                .where(AppUser.id == uid, not_locked)
                .values(failed_count=0, locked_until=None, last_login=now)
                .execution_options(synchronize_session=False)
            )
        else:
            done = s.connection().execute(
                update(AppUser)
                .where(AppUser.id == uid, not_locked)
                .values(failed_count=func.coalesce(AppUser.failed_count, 0) + 1)
                .execution_options(synchronize_session=False)
            )
        count, until = s.execute(select(AppUser.failed_count, AppUser.locked_until).where(AppUser.id == uid)).one()
        if not done.rowcount:  # a parallel guess locked the account meanwhile
            locked = None
        elif not ok and count >= MAX_FAILURES:
            until = now + timedelta(minutes=LOCK_MINUTES)
            s.execute(
                update(AppUser)
                .where(AppUser.id == uid)
                .values(failed_count=0, locked_until=until)
                .execution_options(synchronize_session=False)
            )
            locked = True
        else:
            locked = False
    # the failure count is committed before refusing
    if locked is None:
        log.warning("login refused: %s is locked", uname)
        raise PermissionDenied(_locked_message(uname, until or now, now))
    if ok:
        actor = Actor(uname, role, real)
        log.info("login ok: %s role=%s", actor.name, ROLE_CODES.get(actor.role, "?"))
        return actor
    if locked:
        log.warning("login failed: %s, account locked for %d minutes", uname, LOCK_MINUTES)
        raise PermissionDenied(f"密码错误次数过多，账户 {uname} 已锁定 {LOCK_MINUTES} 分钟")
    log.warning("login failed: %s (wrong password, %d in a row)", uname, count)
    raise PermissionDenied(BAD_LOGIN)


def _unknown_name_failure(db: Database, name: str, now: datetime) -> str:
    """The message a real account would give at this try: an unknown name is "locked" after
    :data:`MAX_FAILURES` tries too, so the lock message does not tell which names exist.

    Counted in the key/value configuration under a hash of the name (never the name itself).
    """
    if not name:
        return BAD_LOGIN
    key = "login.unknown." + hashlib.sha256(name.encode("utf-8")).hexdigest()[:40]
    with db.transaction() as s:
        count, _, until_text = (get_config(s, key) or "0|").partition("|")
        until = datetime.fromisoformat(until_text) if until_text else None
        if until is not None and until > now:
            return _locked_message(name, until, now)
        failures = int(count) + 1
        if failures >= MAX_FAILURES:
            set_config(s, key, f"0|{(now + timedelta(minutes=LOCK_MINUTES)).isoformat()}")
            return f"密码错误次数过多，账户 {name} 已锁定 {LOCK_MINUTES} 分钟"
        set_config(s, key, f"{failures}|")
        return BAD_LOGIN


def login(db: Database, name: str, password: str, *, now: datetime | None = None) -> Actor:
    """:func:`authenticate` and make the user the actor of the handle ``db``."""
    actor = authenticate(db, name, password, now=now)
    db.actor = actor
    return actor


def logout(db: Database) -> None:
    actor, db.actor = db.actor, None
    if actor:
        log.info("logout: %s", actor.name)


def change_password(db: Database, name: str, old_password: str, new_password: str) -> None:
    """A user changes their own password (the current one is required)."""
    _check_password(new_password)
    authenticate(db, name, old_password)
    with db.transaction() as s:
        user = _get(s, name)
        user.password_hash = hash_password(new_password)
    log.info("password changed: %s", name.strip())
