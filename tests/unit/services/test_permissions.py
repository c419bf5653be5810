"""Each role against each protected action, on a real database (allowed or refused)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from epimanager.domain.precheck import Answer
from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.errors import EpiError, PermissionDenied
from epimanager.services import administration, backup, permissions, precheck, recalls, registry, users
from epimanager.services.children import create_child, get_child
from epimanager.services.cleaning import merge
from epimanager.services.config import unit as config_unit
from epimanager.services.doses import add_dose, delete_dose
from epimanager.services.units import init_database
from epimanager.store.database import Database, open_database
from epimanager.upgrade.install.apply import apply_package
from epimanager.upgrade.install.layout import Target
from epimanager.upgrade.install.rollback import rollback

TODAY = date(2026, 11, 26)
UNIT = "3201020101"
PASSWORDS = {"系统管理员": "admin-pass-1", "业务管理员": "biz-pass-1", "普通用户": "nurse-pass-1"}
NAMES = {"系统管理员": "admin", "业务管理员": "boss", "普通用户": "nurse"}


@dataclass(frozen=True)
class World:
    """What the template database holds, made in setup mode before any user existed."""

    live: str  # a child to delete
    deleted: str  # a deleted child to restore
    dose_uuid: str  # a deleted dose to restore
    keep: str
    dup: str  # a pair to merge
    merge_id: int  # a merge to undo
    backup_file: Path
    setup_dose: str = ""  # a live dose recorded before any user existed (nobody's own)


def _child(db: Database, name: str, mother: str) -> str:
    inp = ChildInput(name, "1", date(2026, 3, 1), mother_name=mother, committee="东风村")
    return create_child(db, inp, user="setup", today=TODAY).code


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, World]:
    folder = tmp_path_factory.mktemp("perm-template")
    path = folder / "epi.sqlite"
    init_database(path, UNIT, "测试门诊", ["东风村"])
    db = open_database(path)
    try:
        live = _child(db, "张浩", "李梅")
        deleted = _child(db, "王芳", "赵丽")
        registry.delete_child(db, deleted, user="setup", reason="测试")
        dose = add_dose(db, live, DoseInput("HepB", 1, date(2026, 3, 1)), user="setup", today=TODAY)
        delete_dose(db, dose.uuid, user="setup", reason="录错")
        setup_dose = add_dose(db, live, DoseInput("DTaP", 1, date(2026, 5, 1)), user="setup", today=TODAY).uuid
        keep, dup = _child(db, "刘洋", "陈静"), _child(db, "刘洋", "陈静")
        k2, d2 = _child(db, "孙悦", "周敏"), _child(db, "孙悦", "周敏")
        merge_id = merge.merge_children(db, k2, d2, user="setup").id
        # a 禁忌 of the live vaccines (预检: immunodeficiency) that a 业务管理员 may lift
        precheck.save_precheck(db, live, 36.5, {4: Answer(True)}, user="setup")
        users.create_first_admin(db, "admin", PASSWORDS["系统管理员"])
        users.login(db, "admin", PASSWORDS["系统管理员"])
        users.add_user(db, "boss", PASSWORDS["业务管理员"], "业务管理员")
        users.add_user(db, "nurse", PASSWORDS["普通用户"], "普通用户")
        # with its users: a backup without any needs a 系统管理员's confirmation (#16 item 16)
        backup_file = backup.backup(db, folder / "backups").path
        users.logout(db)
    finally:
        db.close()
    return path, World(live, deleted, dose.uuid, keep, dup, merge_id, backup_file, setup_dose)


@pytest.fixture
def fresh(template: tuple[Path, World], tmp_path: Path) -> Iterator[tuple[Database, World, Path]]:
    src, world = template
    path = tmp_path / "epi.sqlite"
    shutil.copy(src, path)
    db = open_database(path)
    yield db, world, tmp_path
    db.close()


def _target(db: Database, tmp: Path) -> Target:
    root = tmp / "install"
    root.mkdir(exist_ok=True)
    return Target(root, db.path, tmp / "upgrade-backups", tmp / "overrides")


ACTIONS: dict[str, Callable[[Database, World, Path], object]] = {
    "delete_child": lambda db, w, tmp: registry.delete_child(db, w.live, user=None),
    "delete_others_dose": lambda db, w, tmp: delete_dose(db, w.setup_dose, reason="核对"),
    "restore_child": lambda db, w, tmp: registry.restore_child(db, w.deleted, user=None),
    "restore_dose": lambda db, w, tmp: registry.restore_dose(db, w.dose_uuid, user=None),
    "merge_children": lambda db, w, tmp: merge.merge_children(db, w.keep, w.dup, user=None),
    "undo_merge": lambda db, w, tmp: merge.undo_merge(db, w.merge_id, user=None),
    "change_unit_config": lambda db, w, tmp: config_unit.set_unit(db, UNIT, "新名称门诊", allow_unlisted=True),
    "restore_backup": lambda db, w, tmp: backup.restore(db, w.backup_file),
    "manage_users": lambda db, w, tmp: users.list_users(db),
    "lift_contraindication": lambda db, w, tmp: precheck.lift(db, w.live, "MMR", "医生意见：已排除免疫缺陷"),
    "manage_recalls": lambda db, w, tmp: recalls.add_recall(db, "B1", reason="县疾控通知召回"),
    "scan_override": lambda db, w, tmp: administration.require_override(db, "县疾控同意"),
}
#: Upgrade entry points: allowed means the call gets past the permission check to its own work.
UPGRADE_ACTIONS: dict[str, Callable[[Database, World, Path], object]] = {
    "apply_upgrade": lambda db, w, tmp: apply_package(tmp / "no-such-package.epiupg", _target(db, tmp), actor=db.actor),
    "rollback_upgrade": lambda db, w, tmp: rollback(_target(db, tmp), actor=db.actor),
}
ROLE_NAMES = ("系统管理员", "业务管理员", "普通用户")


def _allowed(role: str, action: str) -> bool:
    return permissions.rank(role) >= permissions.rank(permissions.ACTIONS[action])


def test_every_protected_action_is_in_the_matrix() -> None:
    assert set(ACTIONS) | set(UPGRADE_ACTIONS) == set(permissions.ACTIONS)


@pytest.mark.parametrize("role", ROLE_NAMES)
@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_role_against_action(role: str, action: str, fresh: tuple[Database, World, Path]) -> None:
    db, world, tmp = fresh
    users.login(db, NAMES[role], PASSWORDS[role])
    if _allowed(role, action):
        ACTIONS[action](db, world, tmp)  # does its work, no refusal
    else:
        with pytest.raises(PermissionDenied) as err:
            ACTIONS[action](db, world, tmp)
        assert permissions.ACTIONS[action] in err.value.message  # names the role needed
        assert role in err.value.message
        # nothing changed
        assert get_child(db, world.live).code == world.live


@pytest.mark.parametrize("role", ROLE_NAMES)
@pytest.mark.parametrize("action", sorted(UPGRADE_ACTIONS))
def test_role_against_upgrade(role: str, action: str, fresh: tuple[Database, World, Path]) -> None:
    db, world, tmp = fresh
    users.login(db, NAMES[role], PASSWORDS[role])
    with pytest.raises(EpiError) as err:
        UPGRADE_ACTIONS[action](db, world, tmp)
    refused = isinstance(err.value, PermissionDenied)
    assert refused is not _allowed(role, action)
    if refused:
        assert "业务管理员" in err.value.message


def test_business_admin_deletes_and_the_child_is_gone(fresh: tuple[Database, World, Path]) -> None:
    db, world, _ = fresh
    users.login(db, "boss", PASSWORDS["业务管理员"])
    registry.delete_child(db, world.live, user="boss")
    assert world.live in {c.code for c in registry.deleted_children(db)}


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_nobody_logged_in_is_refused_once_users_exist(action: str, fresh: tuple[Database, World, Path]) -> None:
    db, world, tmp = fresh
    with pytest.raises(PermissionDenied, match="需要先登录"):
        ACTIONS[action](db, world, tmp)


def test_a_name_passed_by_the_caller_grants_nothing(fresh: tuple[Database, World, Path]) -> None:
    db, world, _ = fresh
    users.login(db, "nurse", PASSWORDS["普通用户"])
    with pytest.raises(PermissionDenied):
        registry.delete_child(db, world.live, user="admin")


def test_disabled_or_demoted_user_loses_rights_at_once(fresh: tuple[Database, World, Path]) -> None:
    db, world, _ = fresh
    users.login(db, "admin", PASSWORDS["系统管理员"])
    users.set_role(db, "boss", "普通用户")
    users.login(db, "boss", PASSWORDS["业务管理员"])
    with pytest.raises(PermissionDenied, match="普通用户"):
        registry.delete_child(db, world.live, user=None)
    users.login(db, "admin", PASSWORDS["系统管理员"])
    users.set_active(db, "boss", False)
    db.actor = permissions.Actor("boss", "业务管理员")  # a session opened before the change
    with pytest.raises(PermissionDenied, match="已停用"):
        registry.delete_child(db, world.live, user=None)


def test_setup_mode_allows_everything_until_the_first_user(db: Database) -> None:
    assert not users.has_users(db)
    assert db.actor is None
    for action in permissions.ACTIONS:
        permissions.check(db, action)
    if db.server is None:  # the check of an upgrade's database file (a server database is checked when opened)
        permissions.check_path(db.path, None, "apply_upgrade")


def test_unknown_action_is_refused(db: Database) -> None:
    with pytest.raises(PermissionDenied, match="未知"):
        permissions.check(db, "launch_rockets")


def test_logged_in_user_authors_audit_records_and_is_the_default_nurse(fresh: tuple[Database, World, Path]) -> None:
    from sqlalchemy import select

    from epimanager.store.models import AuditLog

    db, world, _ = fresh
    users.login(db, "nurse", PASSWORDS["普通用户"])
    dose = add_dose(db, world.live, DoseInput("BCG", 1, date(2026, 3, 2)), today=TODAY)
    assert dose.nurse == "nurse"
    with db.session() as s:
        last = s.scalars(select(AuditLog).order_by(AuditLog.id.desc()).limit(1)).one()
    assert last.user == "nurse"


def test_two_handles_on_one_file_act_for_their_own_users(fresh: tuple[Database, World, Path]) -> None:
    """No process-wide "current user": two windows on one clinic database, two nurses."""
    db, world, _ = fresh
    other = open_database(db.path)
    try:
        users.login(db, "boss", PASSWORDS["业务管理员"])
        users.login(other, "nurse", PASSWORDS["普通用户"])
        assert (permissions.operator(db), permissions.operator(other)) == ("boss", "nurse")
        with pytest.raises(PermissionDenied, match="普通用户"):
            registry.delete_child(other, world.live, user=None)
        registry.delete_child(db, world.live, user=None)
        assert db.acting_as(None).actor is None and db.actor is not None
    finally:
        other.close()


def test_an_ordinary_user_deletes_only_the_doses_they_recorded(fresh: tuple[Database, World, Path]) -> None:
    """The role table: 普通用户 soft-delete *own* doses; another nurse's dose needs 业务管理员."""
    db, world, _ = fresh
    users.login(db, "nurse", PASSWORDS["普通用户"])
    mine = add_dose(db, world.live, DoseInput("BCG", 1, date(2026, 3, 1)), today=TODAY)
    other = open_database(db.path)
    try:
        users.login(other, "boss", PASSWORDS["业务管理员"])
        theirs = add_dose(other, world.live, DoseInput("HepB", 2, date(2026, 4, 1)), today=TODAY)
        with pytest.raises(PermissionDenied, match="删除他人登记的接种记录需要业务管理员"):
            delete_dose(db, theirs.uuid, reason="登记错了")
        assert theirs.uuid in {d.uuid for d in get_child(db, world.live).doses}  # nothing changed
        delete_dose(db, mine.uuid, reason="登记错了")  # their own: allowed
        delete_dose(other, theirs.uuid, reason="核对后删除")  # 业务管理员: allowed
        assert {d.uuid for d in get_child(db, world.live).doses}.isdisjoint({mine.uuid, theirs.uuid})
    finally:
        other.close()
