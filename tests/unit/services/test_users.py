"""Users: hashing, first administrator, lockout, password change, never a password in clear."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from epimanager.errors import NotFoundError, PermissionDenied, ValidationError
from epimanager.services import permissions, users
from epimanager.store.database import Database
from epimanager.store.models import AppConfig

ADMIN_PW = "Admin-Secret-42"
NURSE_PW = "Nurse-Secret-42"
T0 = datetime(2026, 11, 26, 9, 0, 0)


@pytest.fixture
def staffed(db: Database) -> Iterator[Database]:
    """admin (系统管理员) logged in, plus nurse 小李 (普通用户)."""
    users.create_first_admin(db, "admin", ADMIN_PW)
    users.login(db, "admin", ADMIN_PW)
    users.add_user(db, "小李", NURSE_PW, "普通用户")
    yield db


@pytest.mark.usefixtures("real_password_cost")
def test_hash_is_phc_scrypt_with_salt_and_verifies() -> None:
    h1, h2 = users.hash_password("correct horse"), users.hash_password("correct horse")
    scheme, n, r, p, salt, digest = h1.split("$")
    assert (scheme, n, r, p) == ("scrypt", str(2**15), "8", "1")
    assert (len(users._unb64(salt)), len(users._unb64(digest))) == (16, 32)
    assert h1 != h2  # a new salt each time
    assert users.verify_password("correct horse", h1)
    assert not users.verify_password("correct horsE", h1)
    assert not users.verify_password("x", "garbage")


def test_first_user_must_be_a_system_admin(db: Database) -> None:
    assert not users.has_users(db)
    with pytest.raises(ValidationError, match="系统管理员"):
        users.add_user(db, "nurse", NURSE_PW, "普通用户")
    rec = users.create_first_admin(db, "admin", ADMIN_PW)
    assert (rec.name, rec.role, rec.active) == ("admin", "系统管理员", True)
    assert users.has_users(db)
    with pytest.raises(PermissionDenied):
        users.create_first_admin(db, "admin2", ADMIN_PW)


def test_only_a_system_admin_manages_users(staffed: Database) -> None:
    users.add_user(staffed, "老张", "Boss-Secret-42", "业务管理员")
    users.login(staffed, "老张", "Boss-Secret-42")
    with pytest.raises(PermissionDenied, match="系统管理员"):
        users.add_user(staffed, "x", "Whatever-123", "普通用户")
    with pytest.raises(PermissionDenied):
        users.list_users(staffed)


def test_bad_input_is_refused(staffed: Database) -> None:
    with pytest.raises(ValidationError, match="8"):
        users.add_user(staffed, "短", "short", "普通用户")
    with pytest.raises(ValidationError, match="已存在"):
        users.add_user(staffed, "小李", NURSE_PW, "普通用户")
    with pytest.raises(ValidationError, match="未知的角色"):
        users.add_user(staffed, "y", NURSE_PW, "院长")
    with pytest.raises(ValidationError, match="不能为空"):
        users.add_user(staffed, "  ", NURSE_PW, "普通用户")


def test_login_returns_the_actor_and_records_last_login(staffed: Database) -> None:
    actor = users.login(staffed, "小李", NURSE_PW, now=T0)
    assert actor == permissions.Actor("小李", "普通用户")
    assert staffed.actor == actor
    assert users.get_user(staffed, "小李").last_login == T0
    users.logout(staffed)
    assert staffed.actor is None


def test_unknown_name_and_wrong_password_read_the_same(staffed: Database) -> None:
    with pytest.raises(PermissionDenied) as a:
        users.authenticate(staffed, "nobody", NURSE_PW)
    with pytest.raises(PermissionDenied) as b:
        users.authenticate(staffed, "小李", "wrong-password")
    assert a.value.message == "用户名或密码错误"
    # no "再错 4 次" for a real account: that suffix told which names exist (issue #16, 17)
    assert b.value.message == a.value.message
    assert users.get_user(staffed, "小李").failed_count == 1  # the failure is still counted


def test_five_failures_lock_for_five_minutes_then_the_password_works_again(staffed: Database) -> None:
    for i in range(4):
        with pytest.raises(PermissionDenied, match=r"^用户名或密码错误$"):
            users.authenticate(staffed, "小李", "wrong", now=T0 + timedelta(seconds=i))
        assert users.get_user(staffed, "小李").failed_count == i + 1
    with pytest.raises(PermissionDenied, match="已锁定 5 分钟"):
        users.authenticate(staffed, "小李", "wrong", now=T0 + timedelta(seconds=4))
    # locked: even the right password is refused, saying how long is left
    with pytest.raises(PermissionDenied, match="请 5 分钟后再试"):
        users.authenticate(staffed, "小李", NURSE_PW, now=T0 + timedelta(seconds=10))
    with pytest.raises(PermissionDenied, match="请 2 分钟后再试"):
        users.authenticate(staffed, "小李", NURSE_PW, now=T0 + timedelta(minutes=3, seconds=30))
    assert users.authenticate(staffed, "小李", NURSE_PW, now=T0 + timedelta(minutes=5, seconds=5)).name == "小李"
    assert users.get_user(staffed, "小李").locked_until is None


def test_admin_unlocks_a_locked_account(staffed: Database) -> None:
    for _ in range(5):
        with pytest.raises(PermissionDenied):
            users.authenticate(staffed, "小李", "wrong")
    assert users.get_user(staffed, "小李").locked_until is not None
    users.unlock(staffed, "小李")
    assert users.authenticate(staffed, "小李", NURSE_PW).name == "小李"


def test_a_success_resets_the_failure_count(staffed: Database) -> None:
    for _ in range(3):
        with pytest.raises(PermissionDenied):
            users.authenticate(staffed, "小李", "wrong")
    users.authenticate(staffed, "小李", NURSE_PW)
    assert users.get_user(staffed, "小李").failed_count == 0
    with pytest.raises(PermissionDenied, match=r"^用户名或密码错误$"):
        users.authenticate(staffed, "小李", "wrong")
    assert users.get_user(staffed, "小李").failed_count == 1


def test_change_own_password_needs_the_current_one(staffed: Database) -> None:
    with pytest.raises(PermissionDenied):
        users.change_password(staffed, "小李", "not-the-password", "Brand-New-Pass-1")
    with pytest.raises(ValidationError):
        users.change_password(staffed, "小李", NURSE_PW, "short")
    users.change_password(staffed, "小李", NURSE_PW, "Brand-New-Pass-1")
    with pytest.raises(PermissionDenied):
        users.authenticate(staffed, "小李", NURSE_PW)
    assert users.authenticate(staffed, "小李", "Brand-New-Pass-1").name == "小李"


def test_admin_resets_a_password(staffed: Database) -> None:
    users.reset_password(staffed, "小李", "Reset-By-Admin-1")
    assert users.authenticate(staffed, "小李", "Reset-By-Admin-1").name == "小李"
    with pytest.raises(NotFoundError):
        users.reset_password(staffed, "nobody", "Reset-By-Admin-1")


def test_disabled_user_cannot_log_in_and_the_last_admin_stays(staffed: Database) -> None:
    users.set_active(staffed, "小李", False)
    with pytest.raises(PermissionDenied, match="已停用"):
        users.authenticate(staffed, "小李", NURSE_PW)
    with pytest.raises(ValidationError, match="至少要保留"):
        users.set_active(staffed, "admin", False)
    with pytest.raises(ValidationError, match="至少要保留"):
        users.set_role(staffed, "admin", "普通用户")
    users.set_active(staffed, "小李", True)
    assert users.authenticate(staffed, "小李", NURSE_PW).role == "普通用户"


def test_list_users(staffed: Database) -> None:
    rows = users.list_users(staffed)
    assert [(r.name, r.role) for r in rows] == [("admin", "系统管理员"), ("小李", "普通用户")]
    assert "password" not in str(rows[0].to_json())


@pytest.mark.usefixtures("real_password_cost")  # set up before ``staffed`` hashes its passwords
def test_password_is_never_in_the_database_in_clear(staffed: Database, db_path: Path) -> None:
    users.change_password(staffed, "小李", NURSE_PW, "Changed-Pass-77")
    users.authenticate(staffed, "小李", "Changed-Pass-77")
    staffed.close()
    raw = b"".join(p.read_bytes() for p in db_path.parent.glob(db_path.name + "*"))
    for pw in (ADMIN_PW, NURSE_PW, "Changed-Pass-77"):
        assert pw.encode() not in raw
        assert pw.encode("utf-16-le") not in raw
    con = sqlite3.connect(db_path)
    try:
        hashes = [r[0] for r in con.execute("SELECT password_hash FROM app_user")]
    finally:
        con.close()
    assert all(h.startswith("scrypt$32768$8$1$") for h in hashes)


def test_password_is_never_in_the_log(staffed: Database, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG", logger="epimanager")
    users.add_user(staffed, "小王", "Log-Secret-99", "业务管理员")
    users.login(staffed, "小王", "Log-Secret-99")
    with pytest.raises(PermissionDenied):
        users.login(staffed, "小王", "Log-Secret-98")
    users.change_password(staffed, "小王", "Log-Secret-99", "Log-Secret-97")
    text = caplog.text
    assert "login ok" in text and "login failed" in text
    for pw in ("Log-Secret-99", "Log-Secret-98", "Log-Secret-97", ADMIN_PW):
        assert pw not in text


def test_a_real_name_is_kept_carried_by_login_and_written_as_the_nurse(staffed: Database) -> None:
    """#21 item 7: the display name is the 接种护士 on a dose given here, never on one given elsewhere."""
    from datetime import date

    from epimanager.domain.validation import ChildInput, DoseInput
    from epimanager.services.children import create_child
    from epimanager.services.doses import OTHER_PLACE, add_dose

    users.add_user(staffed, "wanghs", NURSE_PW, "普通用户", display_name=" 王海生 ")
    assert users.get_user(staffed, "wanghs").display_name == "王海生"
    with pytest.raises(ValidationError, match="姓名不能超过 20 个字"):
        users.add_user(staffed, "long", NURSE_PW, "普通用户", display_name="王" * 21)
    nurse = staffed.acting_as(None)
    actor = users.login(nurse, "wanghs", NURSE_PW)
    assert (actor.name, actor.display_name, actor.real_name) == ("wanghs", "王海生", "王海生")
    today = date(2026, 11, 26)
    code = create_child(nurse, ChildInput("陈小宝", "1", date(2026, 11, 20), mother_name="林芳"), today=today).code
    here = add_dose(nurse, code, DoseInput("HepB", 1, date(2026, 11, 20)), today=today)
    born_elsewhere = add_dose(nurse, code, DoseInput("BCG", 1, date(2026, 11, 20), place_text=OTHER_PLACE), today=today)
    assert (here.nurse, born_elsewhere.nurse) == ("王海生", None)
    # a nurse changes her own name; another user's needs a 系统管理员
    users.set_display_name(nurse, "wanghs", "王海燕")
    assert nurse.actor is not None and nurse.actor.real_name == "王海燕"
    with pytest.raises(PermissionDenied):
        users.set_display_name(nurse, "小李", "李芳")
    users.set_display_name(staffed, "小李", "李芳")
    assert [(u.name, u.display_name) for u in users.list_users(staffed)] == [
        ("admin", None),
        ("小李", "李芳"),
        ("wanghs", "王海燕"),
    ]


def test_an_unknown_name_locks_like_a_real_account(staffed: Database) -> None:
    """The lock message came only for real accounts, so five tries told which names exist (issue #16, 17)."""

    def messages(name: str, password: str) -> list[str]:
        out = []
        for i in range(7):
            with pytest.raises(PermissionDenied) as e:
                users.authenticate(staffed, name, password, now=T0 + timedelta(seconds=i))
            out.append(e.value.message.replace(name, "NAME"))
        return out

    real, unknown = messages("小李", "wrong"), messages("小王", "wrong")
    assert unknown == real
    assert real[:4] == ["用户名或密码错误"] * 4
    assert real[4] == "密码错误次数过多，账户 NAME 已锁定 5 分钟"
    assert real[5] == "账户 NAME 因多次密码错误已锁定，请 5 分钟后再试（或请系统管理员解锁）"
    with staffed.session() as s:
        assert all("小王" not in k and "小王" not in v for k, v in s.execute(select(AppConfig.key, AppConfig.value)))
