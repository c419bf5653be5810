"""``epimanager init``: create or migrate the database and set the own unit."""

from __future__ import annotations

import argparse

from epimanager.paths import resolve_db_path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("init", help="创建/升级数据库并设置本接种单位", description="创建或升级数据库，设置本接种单位。")
    p.add_argument("--unit", required=True, metavar="CODE", help="10位接种单位编码（6位县级国标码+4位序号）")
    p.add_argument("--unit-name", required=True, metavar="NAME", help="单位名称")
    p.add_argument("--committee", action="append", default=[], metavar="NAME", help="区域划分名称（可重复）")
    p.add_argument(
        "--admin",
        metavar="NAME",
        help="同时创建第一个系统管理员（数据库还没有用户时；密码：EPIMANAGER_NEW_PASSWORD 或提示输入两次）",
    )
    p.add_argument("--admin-display-name", metavar="姓名", help="第一个系统管理员的真实姓名（接种护士）")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from epimanager.services.units import init_database

    path = resolve_db_path(args.db)
    password = None
    if args.admin:
        from epimanager.cli.secrets import NEW_PASSWORD_ENV, secret

        password = secret(NEW_PASSWORD_ENV, f"系统管理员 {args.admin} 的密码：", confirm=True)
    info = init_database(path, args.unit, args.unit_name, args.committee)
    print(f"数据库已就绪：{path}")
    print(f"接种单位：{info.code} {info.name}；区域划分 {len(info.committees)} 个")
    if args.admin and password:
        from epimanager.services.users import create_first_admin
        from epimanager.store.database import open_database

        db = open_database(path)
        try:
            create_first_admin(db, args.admin, password, args.admin_display_name)
        finally:
            db.close()
        print(f"已创建系统管理员 {args.admin}；之后的命令请以 --user {args.admin} 登录")
    return 0
