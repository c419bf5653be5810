"""``epimanager immunoglobulin``: record the immunoglobulin / blood products a child received.

Injectable live vaccines wait after them (3 months; JE-I 1 month): the forecast
moves their earliest date and says why.
"""

from __future__ import annotations

import argparse
import os

from epimanager.cli.common import date_arg, open_database, print_json


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``immunoglobulin`` subcommand (``add`` / ``list``)."""
    p = sub.add_parser(
        "immunoglobulin",
        help="免疫球蛋白/血液制品记录（影响注射类减毒活疫苗的最早接种日期）",
        description="记录儿童注射的免疫球蛋白或输注的血液制品；此后注射类减毒活疫苗需间隔3个月（乙脑灭活疫苗1个月）。",
    )
    actions = p.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="新增一条记录")
    add.add_argument("code", help="儿童编码")
    add.add_argument("--product", required=True, help="品名，如 IVIG、HBIG、输血")
    add.add_argument("--date", type=date_arg, required=True, metavar="YYYY-MM-DD", help="日期")
    add.add_argument(
        "--user", default=os.environ.get("EPIMANAGER_USER"), help="操作员（默认：环境变量 EPIMANAGER_USER）"
    )
    add.add_argument("--json", action="store_true", help="以 JSON 输出")
    lst = actions.add_parser("list", help="列出儿童的记录")
    lst.add_argument("code", help="儿童编码")
    lst.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Add or list entries."""
    from epimanager.services.clinical import add_immunoglobulin, list_immunoglobulin

    db = open_database(args)
    try:
        if args.action == "add":
            rows = [add_immunoglobulin(db, args.code, args.product, args.date, user=args.user)]
        else:
            rows = list_immunoglobulin(db, args.code)
    finally:
        db.close()
    if args.json:
        print_json([{"product": r.product, "date": r.date.isoformat()} for r in rows])
    else:
        for r in rows:
            print(f"{r.date.isoformat()}  {r.product}")
    return 0
