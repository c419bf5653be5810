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
        parser = build_parser()
        args = parser.parse_args(rest)
        args.db = db
        if not args.command:
            # The GUI is imported lazily so that the CLI never needs Qt.
            gui = importlib.import_module("epimanager.ui.app")
            return int(gui.run(args))
        return int(args.handler(args))
    except EpiError as exc:
        print(f"错误：{exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("已中断", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
