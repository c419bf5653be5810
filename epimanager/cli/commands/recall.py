"""``epimanager recall add|remove|list``: the county's recall/lock list of vaccine batches (召回/封存批号).

A batch on the list is refused at the 接种台's scan (and by ``dose add --trace-code``).  Adding
and lifting need a 业务管理员 (global ``--user``); ``remove`` lifts the entries in force for the
batch (the history stays, ``list --all`` shows it).
"""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "recall",
        help="召回/封存批号清单（扫码接种时拒绝清单中的批号）",
        description="维护县级下发的召回/封存批号清单：清单中的批号在接种台扫码和登记追溯码时被拒绝。",
    )
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="把批号加入清单（默认召回，--lock 为封存）")
    add.add_argument("batch", metavar="BATCH", help="批号")
    add.add_argument("--reason", required=True, help="原因，如 县疾控通知：冷链温度超标")
    add.add_argument("--product", help="疫苗编码或缩写（不填：该批号的任何产品）")
    add.add_argument("--manufacturer", help="生产企业（不填：任何企业）")
    add.add_argument("--lock", action="store_true", help="封存（锁定）而不是召回")
    add.add_argument("--json", action="store_true")
    rm = actions.add_parser("remove", help="解除该批号的召回/封存")
    rm.add_argument("batch", metavar="BATCH", help="批号")
    rm.add_argument("--reason", required=True, help="解除原因")
    rm.add_argument("--product", help="只解除该疫苗的条目")
    rm.add_argument("--json", action="store_true")
    lst = actions.add_parser("list", help="列出清单")
    lst.add_argument("batch", metavar="BATCH", nargs="?", help="只列出该批号")
    lst.add_argument("--all", action="store_true", help="包括已解除的条目")
    lst.add_argument("--json", action="store_true")
    p.set_defaults(handler=run)


def _line(r: object) -> str:
    from epimanager.services.recalls import RecallRecord

    assert isinstance(r, RecallRecord)
    state = "生效" if r.active else f"已解除（{r.lifted_at:%Y-%m-%d} {r.lifted_by or ''}：{r.lift_reason}）"
    who = r.created_by or ""
    return (
        f"{r.batch_no}  {r.kind_label}  {r.product_text}  {r.reason}  "
        f"{r.created_at:%Y-%m-%d} {who}（{r.source}）  {state}"
    )


def run(args: argparse.Namespace) -> int:
    from epimanager.cli.common import open_database, print_json
    from epimanager.domain.stock import normalize_batch_no
    from epimanager.services import recalls

    db = open_database(args)
    try:
        if args.action == "add":
            rows = [
                recalls.add_recall(
                    db,
                    args.batch,
                    reason=args.reason,
                    vaccine=args.product,
                    manufacturer=args.manufacturer,
                    lock=args.lock,
                )
            ]
        elif args.action == "remove":
            rows = recalls.lift_batch(db, args.batch, reason=args.reason, vaccine=args.product)
        else:
            rows = recalls.list_recalls(db, include_lifted=args.all)
            if args.batch:
                rows = [r for r in rows if r.batch_no == normalize_batch_no(args.batch)]
    finally:
        db.close()
    if args.json:
        print_json([r.to_json() for r in rows])
        return 0
    if args.action == "add":
        print(f"已加入清单：{_line(rows[0])}")
    elif args.action == "remove":
        for r in rows:
            print(f"已解除：{_line(r)}")
    elif not rows:
        print("召回/封存清单为空")
    for r in rows if args.action == "list" else []:
        print(_line(r))
    return 0
