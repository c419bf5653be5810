"""``epimanager gap``: the 免疫空白 list a clinic prints before a session."""

from __future__ import annotations

import argparse

from epimanager.cli.common import date_arg, open_database, print_json


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``gap`` subcommand."""
    from epimanager.cli.commands.forecast import add_preference_option

    p = sub.add_parser(
        "gap",
        help="免疫空白查询（指定日期应种、超期未种的在册儿童）",
        description="列出在册儿童中在指定日期有应种或超期未种剂次者，可按疫苗/系列和区域划分筛选。",
    )
    p.add_argument("--on", type=date_arg, required=True, metavar="YYYY-MM-DD", help="查询日期（接种日）")
    p.add_argument("--series", metavar="X", help="疫苗或系列，如 MMR、HepB、麻腮风、0201")
    p.add_argument("--committee", metavar="NAME", help="区域划分（村/居委会）名称或编码")
    add_preference_option(p)
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print the gap list."""
    from epimanager.cli.commands.forecast import parse_preferences
    from epimanager.services.forecast import gap_json, gap_query

    prefs = parse_preferences(args.prefer)
    db = open_database(args)
    try:
        rows = list(gap_query(db, args.on, args.series, args.committee, prefs))
    finally:
        db.close()
    if args.json:
        print_json({"on": args.on.isoformat(), "count": len(rows), "children": [gap_json(r) for r in rows]})
        return 0
    print(f"免疫空白 {args.on.isoformat()}：共 {len(rows)} 人")
    for r in rows:
        j = gap_json(r)
        items = "、".join(
            f"{d['vaccine']}第{d['next_dose']}剂{'(超期)' if d['status'] == 'overdue' else ''}" for d in j["due"]
        )
        print(f"{r.code}  {r.name}  {r.birth_date.isoformat()}  {r.committee or '-'}  {items}")
    return 0
