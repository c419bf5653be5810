"""``epimanager visit``: the clinic flow (取号 → 预检 → 登记 → 接种 → 留观) on the command line."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from epimanager.cli.common import date_arg

if TYPE_CHECKING:
    from epimanager.services.visits import VisitRecord

STEP_HELP = "预检|登记|接种|留观 或 precheck|register|inoculate|observe"


def _common(p: argparse.ArgumentParser, *, desk: bool = True) -> None:
    if desk:
        p.add_argument("--desk", metavar="NAME", help="工作台（默认本机）")
    p.add_argument("--user", help="操作员（未建用户时）")
    p.add_argument("--json", action="store_true")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "visit", help="就诊流程：取号、叫号、过号、留观", description="取号 → 预检 → 登记 → 接种 → 留观 → 完成。"
    )
    vs = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    tk = vs.add_parser("take", help="取号（现场 A…，预约 Y…）")
    tk.add_argument("code", metavar="CHILD_CODE")
    tk.add_argument("--booked", action="store_true", help="预约号")
    _common(tk)
    tk.set_defaults(handler=run_take)
    cl = vs.add_parser("call", help="叫下一个号")
    cl.add_argument("--step", required=True, metavar="STEP", help=STEP_HELP)
    _common(cl)
    cl.set_defaults(handler=run_call)
    for name, helptext in (("start", "开始本步骤（儿童已到）"), ("miss", "过号（叫号未到）"), ("recall", "重呼")):
        one = vs.add_parser(name, help=helptext)
        one.add_argument("ticket", metavar="TICKET")
        _common(one)
        one.set_defaults(handler=run_one, kind=name)
    ps = vs.add_parser("pass", help="完成本步骤，转到下一步；--to 退回到之前的步骤")
    ps.add_argument("ticket", metavar="TICKET")
    ps.add_argument("--to", metavar="STEP", help=f"退回到（{STEP_HELP}），需 --reason")
    ps.add_argument("--reason", help="退回原因 / 提前离开留观的原因")
    _common(ps)
    ps.set_defaults(handler=run_pass)
    cn = vs.add_parser("cancel", help="取消")
    cn.add_argument("ticket", metavar="TICKET")
    cn.add_argument("--reason")
    _common(cn)
    cn.set_defaults(handler=run_one, kind="cancel")
    ls = vs.add_parser("list", help="今天的号（某一步骤）")
    ls.add_argument("--step", metavar="STEP", help=STEP_HELP)
    ls.add_argument("--date", type=date_arg, metavar="YYYY-MM-DD")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(handler=run_list)
    sm = vs.add_parser("summary", help="日汇总：各步骤人数、等候时间、过号未到、留观未满")
    sm.add_argument("--date", type=date_arg, metavar="YYYY-MM-DD")
    sm.add_argument("--json", action="store_true")
    sm.set_defaults(handler=run_summary)
    od = vs.add_parser("order", help="今日接种安排（登记）：设置或查看要接种的疫苗、剂次、部位")
    od.add_argument("ticket", metavar="TICKET")
    od.add_argument(
        "--item", action="append", default=[], metavar="CODE:DOSE[:SITE]",
        help="一项安排，如 HepB:2:右上臂（可多次；替换原有安排；部位省略时自动选择）",
    )  # fmt: skip
    od.add_argument("--show", action="store_true", help="只查看今日安排")
    od.add_argument("--clear", action="store_true", help="清空今日安排")
    od.add_argument("--expected-version", type=int, metavar="N", help="看到的安排版本（0 为尚无）；已被改动时拒绝")
    _common(od)
    od.set_defaults(handler=run_order)
    cf = vs.add_parser("config", help="本门诊的流程设置（启用的步骤、叫号等待、留观时间）")
    cf.add_argument("--steps", help="启用的步骤，逗号分隔，如 登记,接种,留观")
    cf.add_argument("--timeout", type=int, metavar="MINUTES", help="叫号后未到几分钟算过号（默认 5）")
    cf.add_argument("--max-misses", type=int, metavar="N", help="过号几次取消（默认 3）")
    cf.add_argument("--observe", type=int, metavar="MINUTES", help="留观分钟数（默认 30）")
    _common(cf, desk=False)
    cf.set_defaults(handler=run_config)


def _show(record: VisitRecord, as_json: bool, verb: str) -> None:
    from epimanager.cli.common import print_json

    if as_json:
        print_json(record.to_json())
        return
    where = record.step if record.step in ("完成", "取消") else f"{record.step}·{record.status}"
    desk = f"（{record.desk}）" if record.desk and record.status != "等候" else ""
    print(f"{verb} {record.ticket} {record.child_name} → {where}{desk}")


def _with_db(args: argparse.Namespace, work: Any) -> Any:
    from epimanager.cli.common import open_database

    db = open_database(args)
    try:
        return work(db)
    finally:
        db.close()


def run_take(args: argparse.Namespace) -> int:
    from epimanager.services import visits

    r = _with_db(args, lambda db: visits.take(db, args.code, booked=args.booked, desk=args.desk, user=args.user))
    _show(r, args.json, "已取号")
    return 0


def run_call(args: argparse.Namespace) -> int:
    from epimanager.services import visits

    r = _with_db(args, lambda db: visits.call(db, args.desk, args.step, user=args.user))
    _show(r, args.json, "请")
    return 0


_VERBS = {"start": "开始", "miss": "过号", "recall": "重呼", "cancel": "已取消"}


def run_one(args: argparse.Namespace) -> int:
    from epimanager.services import visits

    def work(db: Any) -> VisitRecord:
        kw: dict[str, Any] = {"desk": args.desk, "user": args.user}
        if args.kind == "cancel":
            return visits.cancel(db, args.ticket, reason=args.reason, **kw)
        action = {"start": visits.start, "miss": visits.miss, "recall": visits.recall}[args.kind]
        return action(db, args.ticket, **kw)

    _show(_with_db(args, work), args.json, _VERBS[args.kind])
    return 0


def run_pass(args: argparse.Namespace) -> int:
    from epimanager.errors import ValidationError
    from epimanager.services import visits

    def work(db: Any) -> VisitRecord:
        kw: dict[str, Any] = {"desk": args.desk, "user": args.user}
        if args.to is None:
            return visits.finish(db, args.ticket, reason=args.reason, **kw)
        if not (args.reason or "").strip():
            raise ValidationError("退回需填写原因（--reason）")
        return visits.back(db, args.ticket, args.to, args.reason, **kw)

    _show(_with_db(args, work), args.json, "已转" if args.to is None else "已退回")
    return 0


def run_list(args: argparse.Namespace) -> int:
    from epimanager.cli.common import print_json
    from epimanager.services import visits

    rows = _with_db(args, lambda db: visits.list_visits(db, args.step, args.date))
    if args.json:
        print_json([r.to_json() for r in rows])
        return 0
    for r in rows:
        flag = "预约" if r.booked else "现场"
        where = r.step if r.step in ("完成", "取消") else f"{r.step}·{r.status}"
        print(f"{r.ticket}  {flag}  {r.child_name}  {where}  {r.desk or ''}".rstrip())
    print(f"共 {len(rows)} 个号")
    return 0


def run_summary(args: argparse.Namespace) -> int:
    from epimanager.cli.common import print_json
    from epimanager.services.visit_summary import summary

    result = _with_db(args, lambda db: summary(db, args.date))
    data = result.to_json()
    if args.json:
        print_json(data)
        return 0
    print(f"{data['day']} 共 {data['tickets']} 个号（预约 {data['booked']}，现场 {data['walk_in']}）")
    print("各步骤：" + "，".join(f"{k} {v}" for k, v in data["by_step"].items()))
    for step, w in data["waits"].items():
        if w["count"]:
            print(f"{step}等候：{w['count']} 人，中位数 {w['median_minutes']} 分钟，90% 在 {w['p90_minutes']} 分钟内")
    print(f"过号未到：{data['no_shows']}" + (f"（{'、'.join(data['no_show_tickets'])}）" if data["no_shows"] else ""))
    print(f"留观未满 {data['observe_minutes']} 分钟：{data['not_observed_full_time']}")
    return 0


def run_order(args: argparse.Namespace) -> int:
    from epimanager.cli.common import print_json
    from epimanager.errors import ValidationError
    from epimanager.services import visit_order

    if args.show and (args.item or args.clear):
        raise ValidationError("--show 不能与 --item / --clear 同时使用")
    if args.item and args.clear:
        raise ValidationError("--clear 不能与 --item 同时使用")
    if not (args.show or args.item or args.clear):
        raise ValidationError("请用 --item 疫苗:剂次[:部位] 设置安排，或 --show 查看、--clear 清空")
    items = [visit_order.parse_item(x) for x in args.item]

    def work(db: Any) -> Any:
        if args.show:
            return visit_order.order_of(db, args.ticket)
        return visit_order.set_order(
            db, args.ticket, items, expected_version=args.expected_version, desk=args.desk, user=args.user
        )

    order = _with_db(args, work)
    if args.json:
        print_json(order.to_json())
        return 0
    head = f"{order.ticket} {order.child_name}（{order.step}·{order.status}）今日接种安排："
    print(head + ("" if order.items else "无"))
    for n, item in enumerate(order.items, start=1):
        print(f"  {n}. {item.text}{'  已接种' if item.given else ''}")
    return 0


def run_config(args: argparse.Namespace) -> int:
    from epimanager.cli.common import print_json
    from epimanager.services.config import visit_flow as visits

    def work(db: Any) -> Any:
        if args.steps is None and args.timeout is None and args.max_misses is None and args.observe is None:
            return visits.flow(db)
        steps = [x for x in args.steps.replace("，", ",").split(",") if x.strip()] if args.steps is not None else None
        return visits.set_flow(
            db, steps=steps, call_timeout_minutes=args.timeout, max_misses=args.max_misses,
            observe_minutes=args.observe,
        )  # fmt: skip

    fl = _with_db(args, work)
    data = {
        "steps": [s.value for s in fl.steps],
        "call_timeout_minutes": fl.call_timeout_minutes,
        "max_misses": fl.max_misses,
        "observe_minutes": fl.observe_minutes,
    }
    if args.json:
        print_json(data)
    else:
        print(f"步骤：取号 → {' → '.join(data['steps'])} → 完成")
        print(f"叫号 {fl.call_timeout_minutes} 分钟未到算过号，过号 {fl.max_misses} 次取消")
        print(f"留观 {fl.observe_minutes} 分钟")
    return 0
