"""``epimanager server``: set up a clinic server (PostgreSQL) and move a standalone clinic onto it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "server",
        help="诊所服务器（PostgreSQL）：初始化、从单机版迁移、恢复备份",
        description="多台工作站共用一个 PostgreSQL 数据库（诊所服务器）。地址形如 postgresql://用户:密码@主机:5432/数据库名。",
    )
    ss = p.add_subparsers(dest="server_command", metavar="ACTION", required=True)
    init = ss.add_parser("init", help="在空数据库中建立表结构、本接种单位和第一个系统管理员")
    init.add_argument("url", metavar="URL", help="postgresql://用户@主机:端口/数据库名（数据库须已建好且为空）")
    init.add_argument("--unit", required=True, metavar="CODE", help="10位接种单位编码")
    init.add_argument("--unit-name", required=True, metavar="NAME", help="单位名称")
    init.add_argument("--committee", action="append", default=[], metavar="NAME", help="区域划分名称（可重复）")
    init.add_argument(
        "--admin",
        required=True,
        metavar="NAME",
        help="第一个系统管理员（密码：EPIMANAGER_NEW_PASSWORD 或提示输入两次）",
    )
    init.set_defaults(handler=run_init)
    move = ss.add_parser("migrate", help="把单机版数据库文件的全部数据复制到服务器上的空数据库（原文件不变）")
    move.add_argument("--from", dest="source", required=True, type=Path, metavar="FILE", help="单机版数据库文件")
    move.add_argument("--to", dest="target", required=True, metavar="URL", help="服务器上的空数据库")
    move.add_argument("--json", action="store_true")
    move.set_defaults(handler=run_migrate)
    restore = ss.add_parser("restore", help="把服务器备份（.pgdump）恢复到一个空数据库")
    restore.add_argument("file", type=Path, metavar="FILE")
    restore.add_argument("--to", dest="target", required=True, metavar="URL")
    restore.set_defaults(handler=run_restore)


def _server(url: str) -> object:
    from epimanager.errors import ValidationError
    from epimanager.paths import ServerUrl, parse_db

    location = parse_db(url)
    if not isinstance(location, ServerUrl):
        raise ValidationError(f"不是数据库服务器地址：{url}（应为 postgresql://用户@主机:端口/数据库名）")
    return location


def run_init(args: argparse.Namespace) -> int:
    from epimanager.cli.secrets import NEW_PASSWORD_ENV, secret
    from epimanager.errors import DatabaseError
    from epimanager.paths import ServerUrl
    from epimanager.services.units import init_database
    from epimanager.services.users import create_first_admin
    from epimanager.store import pg_files
    from epimanager.store.database import open_database

    location = _server(args.url)
    assert isinstance(location, ServerUrl)
    if not pg_files.is_empty(location):
        raise DatabaseError(f"数据库 {location} 不是空的：server init 只用于新建的空数据库")
    password = secret(NEW_PASSWORD_ENV, f"系统管理员 {args.admin} 的密码：", confirm=True)
    info = init_database(location, args.unit, args.unit_name, args.committee)
    db = open_database(location)
    try:
        create_first_admin(db, args.admin, password)
    finally:
        db.close()
    print(f"服务器数据库已就绪：{location}")
    print(f"接种单位：{info.code} {info.name}；区域划分 {len(info.committees)} 个；系统管理员 {args.admin}")
    print(f"各工作站：epimanager --db {location} （或在 系统 → 配置工具 中填写服务器地址）")
    return 0


def run_migrate(args: argparse.Namespace) -> int:
    from epimanager.cli.common import print_json
    from epimanager.paths import ServerUrl
    from epimanager.services.server import move_to_server

    location = _server(args.target)
    assert isinstance(location, ServerUrl)

    def progress(table: str, done: int, total: int) -> None:
        if total >= 20_000:
            print(f"\r{table}: {done}/{total}", end="", file=sys.stderr, flush=True)

    report = move_to_server(args.source, location, progress=progress)
    print("", file=sys.stderr)
    if args.json:
        print_json(report.to_json())
    else:
        print(
            f"已迁移 {report.rows} 行（{len(report.tables)} 个表），用时 {report.seconds:.1f} 秒；"
            "行数核对一致，审计链校验通过"
        )
        print(
            f"儿童 {report.tables.get('child', 0)} 个，接种记录 {report.tables.get('dose', 0)} 条；"
            f"原文件 {args.source} 未改动"
        )
    return 0


def run_restore(args: argparse.Namespace) -> int:
    from epimanager.paths import ServerUrl
    from epimanager.services.server import restore_to_server

    location = _server(args.target)
    assert isinstance(location, ServerUrl)
    counts = restore_to_server(args.file, location)
    print(f"已恢复到 {location}：儿童 {counts['child']} 个，接种记录 {counts['dose']} 条；审计链校验通过")
    return 0
