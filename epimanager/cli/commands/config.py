"""``epimanager config``: 配置工具 — unit from the yearly list, 区域划分, folders, platform, take-over."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "config",
        help="配置工具：接种单位、区域划分、文件夹、平台账号、接管旧数据",
        description="接种点客户端配置工具。",
    )
    cs = p.add_subparsers(dest="action", required=True, metavar="ACTION")

    s = cs.add_parser("show", help="显示当前配置（不显示令牌）")
    s.add_argument("--json", action="store_true")
    s.set_defaults(handler=run_show)

    ul = cs.add_parser("units", help="查看单位编码表（可按编码、名称、县区查找）")
    ul.add_argument("query", nargs="?", default="", help="编码开头或名称中的字")
    ul.add_argument("--year", type=int, help="编码表年份（默认：最新）")
    ul.add_argument("--json", action="store_true")
    ul.set_defaults(handler=run_units)

    u = cs.add_parser("unit", help="设置本接种单位（从单位编码表中选择）")
    u.add_argument("--code", required=True, help="10位单位编码（6位县级编码+4位序号）")
    u.add_argument("--name", help="单位名称（默认：编码表中的名称）")
    u.add_argument("--year", type=int, help="编码表年份（默认：最新）")
    u.add_argument("--allow-unlisted", action="store_true", help="允许编码表中没有的编码（会给出警告）")
    u.set_defaults(handler=run_unit)

    c = cs.add_parser("committee", help="区域划分：list | add NAME… | rename OLD NEW | disable NAME | enable NAME")
    c.add_argument("op", choices=["list", "add", "rename", "disable", "enable"])
    c.add_argument("names", nargs="*", metavar="NAME")
    c.add_argument("--json", action="store_true")
    c.set_defaults(handler=run_committee)

    f = cs.add_parser("folders", help="数据文件夹、备份文件夹、程序安装文件夹")
    f.add_argument("--data-dir", type=Path, help="把数据库复制到新数据文件夹并改用它（旧文件夹保留）")
    f.add_argument("--backup-dir", type=Path)
    f.add_argument("--install-root", type=Path, help="开发安装的程序文件夹（升级包的程序文件放在这里）")
    f.set_defaults(handler=run_folders)

    pl = cs.add_parser("platform", help="平台地址与账号")
    pl.add_argument("--url")
    pl.add_argument("--user")
    pl.add_argument("--token-stdin", action="store_true", help="从标准输入读取令牌/密码（不会显示）")
    pl.add_argument("--clear-token", action="store_true")
    pl.set_defaults(handler=run_platform)

    t = cs.add_parser("takeover", help="接管旧安装的数据文件夹（复制，不改动旧文件夹）")
    t.add_argument("old", nargs="?", type=Path, metavar="OLD_DIR")
    t.add_argument("--detect", action="store_true", help="列出找到的旧数据文件夹")
    t.add_argument("--force", action="store_true", help="当前数据库已有儿童个案时仍接管（先备份当前数据库）")
    t.set_defaults(handler=run_takeover)


def _db_path(args: argparse.Namespace) -> Path:
    from epimanager.errors import EpiError
    from epimanager.paths import resolve_db_path

    location = resolve_db_path(getattr(args, "db", None))
    if not isinstance(location, Path):
        raise EpiError("接管旧数据只适用于单机版数据库文件；服务器数据库请用 epimanager server migrate")
    return location


def run_show(args: argparse.Namespace) -> int:
    from epimanager.cli.common import open_database, print_json
    from epimanager.services.config.record import show_config

    db = open_database(args)
    try:
        rec = show_config(db)
    finally:
        db.close()
    if args.json:
        print_json(rec.to_json())
        return 0
    year = f"（{rec.unit_code_year} 年编码表）" if rec.unit_code_year else ""
    print(f"接种单位：{rec.unit_code or '未设置'} {rec.unit_name or ''}{year}")
    print(f"区域划分：{'、'.join(rec.committees) or '无'}")
    print(f"数据库：{rec.db_path}")
    print(f"备份文件夹：{rec.backup_dir}")
    if rec.install_root:
        print(f"程序安装文件夹：{rec.install_root}")
    print(f"平台地址：{rec.platform_url or '未设置'}")
    print(f"平台用户：{rec.platform_user or '未设置'}  令牌：{rec.platform_token or '未设置'}")
    return 0


def run_units(args: argparse.Namespace) -> int:
    from epimanager.cli.common import print_json
    from epimanager.services.config.unit_codes import load_unit_codes, search_unit_codes

    year, _ = load_unit_codes(args.year)
    hits = search_unit_codes(args.query, year, limit=10_000)
    if args.json:
        print_json({"year": year, "units": [h.__dict__ for h in hits]})
        return 0
    print(f"{year} 年单位编码表，{len(hits)} 个单位：")
    for h in hits:
        print(f"{h.code}  {h.name}  {h.county}")
    return 0


def run_unit(args: argparse.Namespace) -> int:
    from epimanager.cli.common import open_database
    from epimanager.services.config.unit import set_unit

    db = open_database(args, create=True)
    try:
        result = set_unit(db, args.code, args.name, allow_unlisted=args.allow_unlisted, year=args.year)
    finally:
        db.close()
    if result.warning:
        print(result.warning, file=sys.stderr)
    print(f"本接种单位：{result.info.code} {result.info.name}")
    return 0


def run_committee(args: argparse.Namespace) -> int:
    from epimanager.cli.common import open_database, print_json
    from epimanager.errors import ValidationError
    from epimanager.services.config import unit

    need = {"list": 0, "add": -1, "rename": 2, "disable": 1, "enable": 1}[args.op]
    if (need == -1 and not args.names) or (need >= 0 and len(args.names) != need):
        raise ValidationError(f"committee {args.op} 的参数个数不对")
    db = open_database(args)
    try:
        if args.op == "add":
            for name in unit.add_committees(db, args.names):
                print(f"已添加区域划分：{name}")
        elif args.op == "rename":
            rec = unit.rename_committee(db, args.names[0], args.names[1])
            print(f"已改名：{args.names[0]} → {rec.name}")
        elif args.op in ("disable", "enable"):
            rec = unit.set_committee_active(db, args.names[0], args.op == "enable")
            print(f"区域划分“{rec.name}”已{'启用' if rec.active else '停用'}")
        else:
            rows = unit.list_committees(db)
            if args.json:
                print_json([r.__dict__ for r in rows])
            for r in [] if args.json else rows:
                print(f"{r.code}  {r.name}{'' if r.active else '（已停用）'}")
    finally:
        db.close()
    return 0


def run_folders(args: argparse.Namespace) -> int:
    from epimanager.cli.common import open_database
    from epimanager.services.config import folders

    db = open_database(args)
    try:
        if args.backup_dir:
            print(f"备份文件夹：{folders.set_backup_dir(db, args.backup_dir)}")
        if args.install_root:
            print(f"程序安装文件夹：{folders.set_install_root(db, args.install_root)}")
        if not (args.backup_dir or args.install_root or args.data_dir):
            print(f"数据库：{db.path}")
            print(f"备份文件夹：{folders.backup_dir(db)}")
            root = folders.configured_install_root(db)
            print(f"程序安装文件夹：{root or '默认'}")
    finally:
        db.close()
    if args.data_dir:
        target = folders.move_data_dir(db.path, args.data_dir)
        print(f"数据库已复制到 {target}，以后使用这个数据文件夹；旧文件夹 {db.path.parent} 保持不变")
    return 0


def run_platform(args: argparse.Namespace) -> int:
    from epimanager.cli.common import open_database
    from epimanager.services.config.platform import set_platform

    token = None
    if args.token_stdin:
        token = sys.stdin.readline().strip()
    elif args.clear_token:
        token = ""
    db = open_database(args)
    try:
        st = set_platform(db, url=args.url, user=args.user, token=token)
    finally:
        db.close()
    print(f"平台地址：{st.url or '未设置'}")
    print(f"平台用户：{st.user or '未设置'}  令牌：{st.token_masked or '未设置'}")
    return 0


def run_takeover(args: argparse.Namespace) -> int:
    from epimanager.errors import ValidationError
    from epimanager.services.config.takeover import detect_previous_installs, takeover

    db_path = _db_path(args)
    if args.detect or args.old is None:
        found = detect_previous_installs(db_path)
        if not found:
            print("没有找到旧安装的数据文件夹")
            return 0 if args.detect else 1
        print("找到以下旧数据：")
        for item in found:
            print(f"  {item.describe()}")
        if args.old is None:
            raise ValidationError("请指定要接管的文件夹：epimanager config takeover 旧文件夹")
        return 0
    result = takeover(args.old, db_path, force=args.force)
    print(f"已接管 {result.source}：儿童 {result.children} 人，接种 {result.doses} 剂 → {result.db_path}")
    if result.previous_saved_as:
        print(f"原数据库已备份到：{result.previous_saved_as}")
    if result.backups_copied:
        print(f"已复制旧备份 {result.backups_copied} 个")
    print("旧文件夹未做任何改动")
    return 0
