"""``epimanager committee``: the own unit's 区域划分 list."""

from __future__ import annotations

import argparse

from epimanager.cli.common import open_database, print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("committee", help="区域划分（行政村/居委会）管理", description="查看或添加区域划分。")
    csub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    a = csub.add_parser("add", help="添加区域划分")
    a.add_argument("names", nargs="+", metavar="NAME")
    a.set_defaults(handler=run_add)
    ls = csub.add_parser("list", help="列出区域划分")
    ls.add_argument("--json", action="store_true", help="以 JSON 输出")
    ls.set_defaults(handler=run_list)


def run_add(args: argparse.Namespace) -> int:
    from epimanager.services.units import add_committee

    db = open_database(args)
    try:
        for name in args.names:
            print(f"已添加区域划分：{add_committee(db, name)}")
    finally:
        db.close()
    return 0


def run_list(args: argparse.Namespace) -> int:
    from epimanager.services.units import unit_info

    db = open_database(args)
    try:
        info = unit_info(db)
    finally:
        db.close()
    if args.json:
        print_json(list(info.committees))
    else:
        for name in info.committees:
            print(name)
    return 0
