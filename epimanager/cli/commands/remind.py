"""``epimanager remind``: F7 工作提醒 on the command line."""

from __future__ import annotations

import argparse

from epimanager.cli.common import date_arg


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("remind", help="工作提醒（F7）", description="查看工作提醒，管理自定义提醒。")
    rs = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    ls = rs.add_parser("list", help="今天需要处理的提醒")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(handler=run_list)
    add = rs.add_parser("add", help="添加自定义提醒")
    add.add_argument("text")
    add.add_argument("--due", type=date_arg, required=True, metavar="YYYY-MM-DD")
    add.add_argument("--repeat", choices=("daily", "weekly", "monthly"))
    add.set_defaults(handler=run_add)
    done = rs.add_parser("done", help="完成（重复提醒顺延到下一次）")
    done.add_argument("id", type=int)
    done.set_defaults(handler=run_done)
    sn = rs.add_parser("snooze", help="推迟提醒")
    sn.add_argument("id", type=int)
    sn.add_argument("--until", type=date_arg, required=True, metavar="YYYY-MM-DD")
    sn.set_defaults(handler=run_snooze)


def run_list(args: argparse.Namespace) -> int:
    from epimanager.cli.common import open_database, print_json
    from epimanager.services.reminders import notices

    db = open_database(args)
    try:
        items = notices(db)
    finally:
        db.close()
    if args.json:
        print_json([{"kind": n.kind, "severity": n.severity, "text": n.text, "action": n.action} for n in items])
    else:
        for n in items:
            print(("⚠ " if n.severity == "warning" else "· ") + n.text)
        if not items:
            print("今天没有需要处理的提醒")
    return 0


def run_add(args: argparse.Namespace) -> int:
    from epimanager.cli.common import open_database
    from epimanager.services.reminders import add_reminder

    db = open_database(args)
    try:
        rid = add_reminder(db, args.text, args.due, args.repeat)
    finally:
        db.close()
    print(f"已添加提醒 {rid}")
    return 0


def run_done(args: argparse.Namespace) -> int:
    from epimanager.cli.common import open_database
    from epimanager.services.reminders import complete

    db = open_database(args)
    try:
        r = complete(db, args.id)
    finally:
        db.close()
    print(f"已完成提醒 {r.id}" + (f"，下次 {r.due}" if r.repeat else ""))
    return 0


def run_snooze(args: argparse.Namespace) -> int:
    from epimanager.cli.common import open_database
    from epimanager.services.reminders import snooze

    db = open_database(args)
    try:
        snooze(db, args.id, args.until)
    finally:
        db.close()
    print(f"提醒 {args.id} 推迟到 {args.until}")
    return 0
