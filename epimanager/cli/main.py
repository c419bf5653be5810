"""``epimanager`` entry point.  With no command it opens the GUI.

Every module in :mod:`epimanager.cli.commands` is discovered and asked to
``register(subparsers)`` its subcommand; a subcommand sets ``handler``.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from epimanager import __version__
from epimanager.cli import commands
from epimanager.errors import EpiError


def _split_global(argv: list[str]) -> tuple[list[str], str | None]:
    """Take ``--db PATH`` from anywhere on the command line."""
    rest: list[str] = []
    db: str | None = None
    it = iter(argv)
    for a in it:
        if a == "--db":
            db = next(it, None)
            if db is None:
                raise EpiError("--db 需要一个数据库文件路径")
        elif a.startswith("--db="):
            db = a.split("=", 1)[1]
        else:
            rest.append(a)
    return rest, db


def _split_user(argv: list[str]) -> tuple[list[str], str | None]:
    """Take the global ``--user NAME`` given *before* the command (after it, ``--user`` is the command's own)."""
    rest: list[str] = []
    user: str | None = None
    i = 0
    while i < len(argv):
        a = argv[i]
        if not a.startswith("-"):
            rest.extend(argv[i:])
            break
        if a == "--user":
            if i + 1 >= len(argv):
                raise EpiError("--user 需要一个用户名")
            user = argv[i + 1]
            i += 2
            continue
        if a.startswith("--user="):
            user = a.split("=", 1)[1]
        else:
            rest.append(a)
        i += 1
    return rest, user


#: Commands that never touch the clinic database (no login, no log file).
_NO_DATABASE = {"platform-sim"}
#: Commands whose ``--out`` writes an export file (checked before anything runs).
_WRITES_OUT = {"query", "report", "stock"}
#: Commands whose own ``--user`` names the operator: it is also the login name.
_OPERATOR_USER = {"registry", "clean", "stock", "report", "visit"}


def _prepare(args: argparse.Namespace) -> None:
    """Open the log file next to the database and log in when the database has users."""
    from epimanager.logs import setup_logging
    from epimanager.paths import ServerUrl, local_dir_for, resolve_db_path
    from epimanager.store.sqlite_files import users_state

    path = resolve_db_path(args.db)
    setup_logging(local_dir_for(path))
    if args.command == "server":
        return  # sets up a server database (its own checks)
    if isinstance(path, ServerUrl):
        from epimanager.services import users
        from epimanager.store.database import open_database

        probe = open_database(path)
        try:
            if not users.has_users(probe):
                return
        finally:
            probe.close()
    elif not path.exists() or users_state(path, None)[0] == 0:
        return  # setup mode: no user yet
    from epimanager.cli.secrets import PASSWORD_ENV, secret, username
    from epimanager.services import users
    from epimanager.store.database import open_database

    given = args.login_user
    if given is None and args.command in _OPERATOR_USER:
        given = getattr(args, "user", None)
    name = username(given)
    password = secret(PASSWORD_ENV, "密码：")
    db = open_database(path)
    try:
        actor = users.login(db, name, password)
    finally:
        db.close()
    args.login_user = actor.name
    args.actor = actor  # cli.common.open_database hands it to the command's own handle


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="epimanager",
        description="EpiManager 儿童预防接种信息管理系统 · 接种点客户端。不带命令时打开图形界面。",
    )
    parser.add_argument(
        "--db",
        metavar="PATH",
        help="数据库文件（默认：环境变量 EPIMANAGER_DB，或用户数据目录下的 epimanager.sqlite）",
    )
    parser.add_argument(
        "--user",
        dest="login_user",
        metavar="NAME",
        help="以此用户登录（写在命令之前；默认：环境变量 EPIMANAGER_USER；密码：EPIMANAGER_PASSWORD 或提示输入）",
    )
    parser.add_argument(
        "--calling-screen",
        action="store_true",
        help="图形界面启动后同时打开叫号屏（全屏；有多个屏幕时询问显示在哪个屏幕）",
    )
    parser.add_argument("--version", action="version", version=f"EpiManager {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="命令")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    raw = list(sys.argv[1:] if argv is None else argv)
    if argv is None:
        # after an upgrade, hand over to the installed version named by `current` (frozen builds only)
        from epimanager.upgrade.launcher import maybe_redirect

        maybe_redirect(raw)
    try:
        rest, db = _split_global(raw)
        rest, login_user = _split_user(rest)
        parser = build_parser()
        args = parser.parse_args(rest)
        args.db = db
        args.login_user = login_user
        if not args.command:
            # The GUI is imported lazily so that the CLI never needs Qt.
            gui = importlib.import_module("epimanager.ui.app")
            return int(gui.run(args))
        if args.command in _WRITES_OUT and getattr(args, "out", None) is not None:
            from pathlib import Path

            from epimanager.cli.common import check_out_path
            from epimanager.paths import resolve_db_path

            location = resolve_db_path(args.db)
            check_out_path(
                Path(args.out), location if isinstance(location, Path) else None, force=getattr(args, "force", False)
            )
        if args.command not in _NO_DATABASE:
            _prepare(args)
        return int(args.handler(args))
    except EpiError as exc:
        from epimanager.cli.fixes import worded

        print(f"错误：{worded(exc)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("已中断", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a full disk or a damaged database is a message; a bug goes on (re-raised)
        from epimanager.services.environment import known_error

        known = known_error(exc)
        if known is None:
            raise
        print(f"错误：{known.message}", file=sys.stderr)
        return known.exit_code
