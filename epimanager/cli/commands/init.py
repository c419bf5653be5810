"""``epimanager init``: create or migrate the database and set the own unit."""

from __future__ import annotations

import argparse

from epimanager.paths import resolve_db_path
from epimanager.services.units import init_database


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("init", help="创建/升级数据库并设置本接种单位", description="创建或升级数据库，设置本接种单位。")
    p.add_argument("--unit", required=True, metavar="CODE", help="10位接种单位编码（6位县级国标码+4位序号）")
    p.add_argument("--unit-name", required=True, metavar="NAME", help="单位名称")
    p.add_argument("--committee", action="append", default=[], metavar="NAME", help="区域划分名称（可重复）")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    path = resolve_db_path(args.db)
    info = init_database(path, args.unit, args.unit_name, args.committee)
    print(f"数据库已就绪：{path}")
    print(f"接种单位：{info.code} {info.name}；区域划分 {len(info.committees)} 个")
    return 0
