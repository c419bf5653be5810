"""Files of a clinic-server database: ``pg_dump`` backups, their check, and restore into an empty database.

The PostgreSQL client programs come with the server (Debian: ``postgresql-client``; Windows: the
official installer's ``bin`` folder); they are looked up on ``PATH`` and in Debian's
``/usr/lib/postgresql/<version>/bin``.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path

from sqlalchemy import create_engine, inspect

from epimanager.errors import DatabaseError
from epimanager.paths import ServerUrl

#: Seconds a dump or restore may take before it is given up (a clinic's database is well below).
TIMEOUT_S = 3600


def tool(name: str) -> Path:
    """A PostgreSQL client program (``pg_dump``, ``pg_restore``), newest version first."""
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(Path(p).parts[-3]))
    if candidates:
        return Path(candidates[-1])
    on_path = shutil.which(name)
    if on_path:
        return Path(on_path)
    raise DatabaseError(
        f"找不到 PostgreSQL 工具 {name}：请在这台电脑上安装 PostgreSQL 客户端（Debian：apt install postgresql-client）"
    )


def _env_and_url(location: ServerUrl) -> tuple[dict[str, str], str]:
    """The libpq URL without its password, and the password in ``PGPASSWORD`` (never on a command line)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(location.url)
    env = dict(os.environ)
    netloc = parts.netloc
    if parts.password is not None:
        env["PGPASSWORD"] = parts.password
        netloc = netloc.replace(":" + parts.password + "@", "@", 1)
    return env, urlunsplit(("postgresql", netloc, parts.path, parts.query, ""))


def _run(args: list[str], env: dict[str, str], what: str) -> str:
    try:
        done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DatabaseError(f"{what}失败：{exc}") from None
    if done.returncode != 0:
        detail = (done.stderr or "").strip().splitlines()
        raise DatabaseError(f"{what}失败：{detail[-1] if detail else '退出码 ' + str(done.returncode)}")
    return done.stdout


def dump(location: ServerUrl, target: Path) -> None:
    """A custom-format ``pg_dump`` of the whole database into ``target`` (consistent while desks write)."""
    env, url = _env_and_url(location)
    _run(
        [str(tool("pg_dump")), "--format=custom", "--no-owner", "--file", str(target), "--dbname", url],
        env,
        "服务器备份",
    )


def check_dump(file: Path) -> str:
    """``ok`` if ``pg_restore`` reads the dump's table of contents and it holds the clinic's tables."""
    try:
        listing = _run([str(tool("pg_restore")), "--list", str(file)], dict(os.environ), "备份校验")
    except DatabaseError as exc:
        return exc.message
    for table in ("child", "dose", "audit_log", "alembic_version"):
        if f"TABLE DATA public {table} " not in listing:
            return f"备份中缺少数据表 {table}"
    return "ok"


def is_empty(location: ServerUrl) -> bool:
    engine = create_engine(location.url)
    try:
        with engine.connect() as conn:
            return not inspect(conn).get_table_names()
    finally:
        engine.dispose()


def restore(file: Path, location: ServerUrl) -> None:
    """Restore a dump into an empty server database, all or nothing."""
    if not is_empty(location):
        raise DatabaseError(f"目标数据库 {location} 不是空的：恢复只能进入一个新建的空数据库")
    env, url = _env_and_url(location)
    _run(
        [str(tool("pg_restore")), "--no-owner", "--single-transaction", "--exit-on-error", "--dbname", url, str(file)],
        env,
        "服务器恢复",
    )
