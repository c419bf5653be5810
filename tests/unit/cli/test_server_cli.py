"""The clinic server from the command line: addresses, set-up, moving a clinic over, backup and restore,
and the faults a desk meets (unreachable server, wrong password, newer schema).  Real PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import socket
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.paths import ServerUrl
from epimanager.services.children import create_child
from epimanager.services.demo import generate
from epimanager.services.doses import add_dose
from epimanager.store.database import open_database
from tests.conftest import server_database
from tests.helpers.cli import run_cli

ADMIN_PW = "Admin-2026-pw"
ENV = {"EPIMANAGER_USER": "admin", "EPIMANAGER_PASSWORD": ADMIN_PW, "EPIMANAGER_NEW_PASSWORD": ADMIN_PW}


@pytest.fixture
def empty_server() -> ServerUrl:
    with server_database() as loc:
        yield loc  # type: ignore[misc]


def _init(url: ServerUrl) -> None:
    r = run_cli(
        "server", "init", url.url, "--unit", "3201020101", "--unit-name", "玄武门诊", "--committee", "东风村",
        "--admin", "admin", env=ENV,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "服务器数据库已就绪" in r.stdout and "***" in r.stdout  # the password is never printed


def test_an_address_is_never_taken_as_a_file_and_an_unknown_scheme_is_refused(tmp_path: Path) -> None:
    r = run_cli("search", "zhang", db="mysql://u@h/db", env=ENV)  # type: ignore[arg-type]
    assert r.returncode == 2 and "不支持的数据库地址：mysql://" in r.stderr
    assert not (Path.cwd() / "mysql:").exists()


def test_an_unreachable_server_names_host_and_port_and_exits_4() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = run_cli("search", "zhang", db=f"postgresql://epim@127.0.0.1:{port}/clinic", env=ENV)  # type: ignore[arg-type]
    assert r.returncode == 4
    assert f"无法连接数据库服务器 127.0.0.1:{port}" in r.stderr and "Traceback" not in r.stderr


def test_a_wrong_server_password_exits_5(empty_server: ServerUrl) -> None:
    wrong = empty_server.url.replace(":epim-test-pw@", ":not-the-password@")
    r = run_cli("search", "zhang", db=wrong, env=ENV)  # type: ignore[arg-type]
    assert r.returncode == 5 and "拒绝登录" in r.stderr
    assert "not-the-password" not in r.stderr


def test_an_empty_server_database_is_refused_until_server_init(empty_server: ServerUrl) -> None:
    r = run_cli("child", "show", "320102010120260001", db=empty_server.url, env=ENV)  # type: ignore[arg-type]
    assert r.returncode == 4 and "是空的" in r.stderr and "server init" in r.stderr
    _init(empty_server)
    again = run_cli(
        "server", "init", empty_server.url, "--unit", "3201020101", "--unit-name", "x", "--admin", "b", env=ENV
    )
    assert again.returncode == 4 and "不是空的" in again.stderr


def test_desks_work_on_the_server_from_the_cli(empty_server: ServerUrl) -> None:
    _init(empty_server)
    url = empty_server.url
    r = run_cli(
        "child", "add", "--name", "徐梦瑶", "--sex", "2", "--birth-date", "2026-03-01", "--mother", "李梅",
        "--committee", "东风村", "--json", db=url, env=ENV,  # type: ignore[arg-type]
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    code = json.loads(r.stdout)["code"]
    assert code == "320102010120260001"
    found = run_cli("search", "xmy", "--json", db=url, env=ENV)  # type: ignore[arg-type]
    assert found.returncode == 0 and json.loads(found.stdout)[0]["child_code"] == code
    shown = run_cli("child", "show", code, db=url, env=ENV)  # type: ignore[arg-type]
    assert shown.returncode == 0 and "徐梦瑶" in shown.stdout
    verify = run_cli("audit", "verify", db=url, env=ENV)  # type: ignore[arg-type]
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_a_clinic_moves_onto_the_server_whole_and_checked(
    tmp_path: Path, db_path: Path, empty_server: ServerUrl
) -> None:
    src = open_database(db_path)
    try:
        generate(src, 60, seed=5)
        # a clinic that has worked: an audit trail (its column "user" is a reserved word on the server)
        code = create_child(src, ChildInput(name="审计", sex="2", birth_date=date(2026, 1, 5), mother_name="王芳")).code
        add_dose(src, code, DoseInput("HepB", 1, date(2026, 1, 5)), user="admin")
    finally:
        src.close()
    assert _count(db_path, "audit_log") >= 2
    before = hashlib.sha256(db_path.read_bytes()).hexdigest()
    r = run_cli("server", "migrate", "--from", db_path, "--to", empty_server.url, "--json", env=ENV)
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["tables"]["child"] == 61 and report["tables"]["dose"] > 60
    assert hashlib.sha256(db_path.read_bytes()).hexdigest() == before  # the file is untouched
    assert report["tables"]["audit_log"] == _count(db_path, "audit_log")
    verify = run_cli("audit", "verify", db=empty_server.url, env=ENV)  # type: ignore[arg-type]
    assert verify.returncode == 0, verify.stdout + verify.stderr
    # the same rows on both sides, the search index included
    for table in ("child", "dose", "child_search_key", "sync_outbox", "audit_log", "committee"):
        assert _count(db_path, table) == _count(empty_server, table), table
    # a new child on the server gets a new id and a code after the moved ones
    r = run_cli(
        "child", "add", "--name", "新生", "--sex", "1", "--birth-date", "2026-11-01", "--mother", "王芳", "--json",
        db=empty_server.url, env=ENV,  # type: ignore[arg-type]
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    again = run_cli("server", "migrate", "--from", db_path, "--to", empty_server.url, env=ENV)
    assert again.returncode == 4 and "不是空的" in again.stderr


def test_a_server_backup_restores_into_an_empty_database(tmp_path: Path, empty_server: ServerUrl) -> None:
    _init(empty_server)
    db = open_database(empty_server)
    try:
        generate(db, 20, seed=3)
    finally:
        db.close()
    r = run_cli("backup", "--to", tmp_path / "bk", db=empty_server.url, env=ENV)  # type: ignore[arg-type]
    assert r.returncode == 0, r.stderr
    (dump,) = (tmp_path / "bk").glob("3201020101-*.pgdump")
    with server_database() as fresh:
        r = run_cli("server", "restore", dump, "--to", fresh.url, env=ENV)
        assert r.returncode == 0, r.stderr
        assert "儿童 20 个" in r.stdout
        assert _count(fresh, "dose") == _count(empty_server, "dose")
        # never over a database in use
        r = run_cli("server", "restore", dump, "--to", fresh.url, env=ENV)
        assert r.returncode == 4 and "不是空的" in r.stderr


def test_a_server_schema_newer_than_the_program_is_refused_untouched(empty_server: ServerUrl) -> None:
    _init(empty_server)
    engine = create_engine(empty_server.url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099_future'"))
    r = run_cli("child", "show", "320102010120260001", db=empty_server.url, env=ENV)  # type: ignore[arg-type]
    assert r.returncode == 4 and "更新版本" in r.stderr
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0099_future"
    engine.dispose()


def _count(where: Path | ServerUrl, table: str) -> int:
    url = where.url if isinstance(where, ServerUrl) else f"sqlite:///{where}"
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    finally:
        engine.dispose()
