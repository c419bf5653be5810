"""``epimanager stock``: 疫苗出入库 — products, receipts, issues, wastage, counts, reports.

This module builds the parser; the handlers are in :mod:`epimanager.cli.stock`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from epimanager.cli.common import date_arg
from epimanager.cli.stock.lookup import run_propose, run_scan
from epimanager.cli.stock.movements import run_count, run_expire, run_issue, run_receive, run_waste
from epimanager.cli.stock.products import run_product_add, run_product_list, run_product_set
from epimanager.cli.stock.reports import run_alerts, run_movements, run_on_hand, run_report


def _month_arg(text: str) -> tuple[int, int]:
    from epimanager.domain.stock import parse_month

    try:
        return parse_month(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _price_arg(text: str) -> int:
    from epimanager.domain.stock import parse_price_fen

    try:
        return parse_price_fen(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


SYRINGE_HELP = "注射器规格：AD-0.1 / AD-0.5 / AD-1（自毁型）、MIX-5（稀释用），数量单位为支"


def _product_arg(p: argparse.ArgumentParser) -> None:
    """``--vaccine CODE`` or ``--syringe TYPE``: both name the stock product (dest ``vaccine``)."""
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--vaccine", help="疫苗编码或缩写，如 0201 / HepB / 乙肝")
    g.add_argument("--syringe", dest="vaccine", metavar="TYPE", help=SYRINGE_HELP)


def _batch_args(p: argparse.ArgumentParser) -> None:
    _product_arg(p)
    p.add_argument("--batch", required=True, help="批号")
    p.add_argument("--manufacturer", help="生产企业（同一疫苗有多个产品时必填）")
    p.add_argument("--spec", help="规格（同一疫苗同一企业有多个规格时必填）")


def _common_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--date", type=date_arg, metavar="YYYY-MM-DD", help="业务日期（默认今天）")
    p.add_argument("--user", help="操作人")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "stock",
        help="疫苗和注射器出入库",
        description=(
            "疫苗和注射器出入库：入库、出库、损耗、盘点和报表（疫苗单位：人份；注射器用 --syringe TYPE，单位：支）。"
        ),
    )
    ssub = p.add_subparsers(dest="action", required=True, metavar="ACTION")

    prod = ssub.add_parser("product", help="疫苗和注射器产品（企业、规格、人份）")
    psub = prod.add_subparsers(dest="product_action", required=True, metavar="ACTION")
    padd = psub.add_parser("add", help="登记一个产品（疫苗或注射器）")
    _product_arg(padd)
    padd.add_argument("--manufacturer", default="", help="生产企业")
    padd.add_argument("--spec", default="", help="规格，如 10μg/0.5ml")
    padd.add_argument("--doses-per-vial", type=int, default=1, help="每瓶（支）人份数（默认1）")
    padd.add_argument("--form", help="剂型")
    padd.add_argument("--price", type=_price_arg, help="每人份价格（元）")
    padd.add_argument("--paid", action="store_true", help="收费疫苗（默认免费）")
    padd.add_argument("--min", type=int, default=0, dest="min_quantity", help="最低库存（人份），低于时提醒")
    padd.add_argument("--open-vial-hours", type=float, help="开启后可用小时数（默认：活疫苗0.5，灭活疫苗1）")
    padd.add_argument("--json", action="store_true")
    padd.set_defaults(handler=run_product_add)
    pset = psub.add_parser("set", help="修改产品的最低库存、开启后时限、价格")
    _product_arg(pset)
    pset.add_argument("--manufacturer")
    pset.add_argument("--spec")
    pset.add_argument("--min", type=int, dest="min_quantity")
    pset.add_argument("--open-vial-hours", type=float)
    pset.add_argument("--price", type=_price_arg)
    pset.add_argument("--json", action="store_true")
    pset.set_defaults(handler=run_product_set)
    plist = psub.add_parser("list", help="列出产品")
    plist.add_argument("--json", action="store_true")
    plist.set_defaults(handler=run_product_list)

    rec = ssub.add_parser("receive", help="入库（从县疾控领取）")
    _batch_args(rec)
    rec.add_argument("--expiry", required=True, type=date_arg, metavar="YYYY-MM-DD", help="失效期")
    qty = rec.add_mutually_exclusive_group(required=True)
    qty.add_argument("--quantity", type=int, help="数量（人份）")
    qty.add_argument("--vials", type=int, help="数量（瓶/支），按每瓶人份数折算")
    rec.add_argument("--doses-per-vial", type=int, help="每瓶人份数（新产品时登记）")
    rec.add_argument("--lot-release", help="批签发编号")
    rec.add_argument("--supplier", help="供货单位（默认不填）")
    rec.add_argument("--doc", help="单据号")
    rec.add_argument("--trace-code", help="任一支的20位追溯码（用于扫码识别产品）")
    rec.add_argument("--gtin", help="GS1 GTIN（用于扫码识别产品）")
    _common_args(rec)
    rec.set_defaults(handler=run_receive)

    iss = ssub.add_parser("issue", help="出库：使用、退回、调拨")
    _batch_args(iss)
    iss.add_argument("--quantity", type=int, required=True, help="数量（人份）")
    iss.add_argument("--type", default="use", help="使用(use) / 退回(return) / 调拨(transfer)")
    iss.add_argument("--to", dest="counterparty", help="调入或退回的单位")
    iss.add_argument("--doc", help="单据号")
    iss.add_argument("--reason", help="备注")
    _common_args(iss)
    iss.set_defaults(handler=run_issue)

    wst = ssub.add_parser("waste", help="损耗：破损、过期、冷链故障、开启后废弃、其他")
    _batch_args(wst)
    wst.add_argument("--quantity", type=int, required=True, help="数量（人份）")
    wst.add_argument(
        "--type",
        required=True,
        help="破损(broken) / 过期(expired) / 冷链故障(cold_chain) / 开启后废弃(open_vial) / 其他(other)",
    )
    wst.add_argument("--reason", help="原因（类型为“其他”时必填）")
    wst.add_argument("--doc", help="单据号")
    _common_args(wst)
    wst.set_defaults(handler=run_waste)

    cnt = ssub.add_parser("count", help="盘点：实有人份，差额记为盘点调整")
    _batch_args(cnt)
    cnt.add_argument("--counted", type=int, required=True, help="实有数量（人份）")
    cnt.add_argument("--reason", help="原因（有差额时必填）")
    _common_args(cnt)
    cnt.set_defaults(handler=run_count)

    rep = ssub.add_parser("report", help="月度出入库汇总（期初、入库、出库、损耗、期末）")
    rep.add_argument("--month", required=True, type=_month_arg, metavar="YYYY-MM")
    rep.add_argument("--format", choices=("json", "csv", "xlsx"), default="json")
    rep.add_argument("--out", type=Path, help="输出文件（xlsx 必填；xlsx 含疫苗、注射器两部分和明细）")
    rep.add_argument("--part", choices=("vaccine", "syringe"), default="vaccine", help="csv 输出哪一部分（默认疫苗）")
    rep.add_argument("--force", action="store_true", help="--out 的文件已存在时覆盖")
    rep.set_defaults(handler=run_report)

    oh = ssub.add_parser("on-hand", help="库存（含失效期、近效期提示）")
    oh.add_argument("--date", type=date_arg, metavar="YYYY-MM-DD")
    oh.add_argument("--json", action="store_true")
    oh.add_argument("--format", choices=("csv", "xlsx"))
    oh.add_argument("--out", type=Path)
    oh.add_argument("--force", action="store_true", help="--out 的文件已存在时覆盖")
    oh.set_defaults(handler=run_on_hand)

    mv = ssub.add_parser("movements", help="出入库明细")
    mv.add_argument("--month", required=True, type=_month_arg, metavar="YYYY-MM")
    mv.add_argument("--vaccine")
    mv.add_argument("--json", action="store_true")
    mv.add_argument("--format", choices=("csv", "xlsx"))
    mv.add_argument("--out", type=Path)
    mv.add_argument("--force", action="store_true", help="--out 的文件已存在时覆盖")
    mv.set_defaults(handler=run_movements)

    ex = ssub.add_parser("expire-open-vials", help="将超过时限的开启瓶剩余人份记为损耗")
    ex.add_argument("--user")
    ex.add_argument("--json", action="store_true")
    ex.set_defaults(handler=run_expire)

    al = ssub.add_parser("alerts", help="近效期批号和低于最低库存的产品")
    al.add_argument("--days", type=int, default=30, help="近效期天数（默认30）")
    al.add_argument("--date", type=date_arg, metavar="YYYY-MM-DD")
    al.add_argument("--json", action="store_true")
    al.set_defaults(handler=run_alerts)

    pr = ssub.add_parser("propose", help="某疫苗可用批号（先到期先用，开启瓶优先）")
    pr.add_argument("--vaccine", required=True)
    pr.add_argument("--date", type=date_arg, metavar="YYYY-MM-DD")
    pr.add_argument("--json", action="store_true")
    pr.set_defaults(handler=run_propose)

    sc = ssub.add_parser("scan", help="识别扫码内容（20位追溯码或 GS1 二维码）")
    sc.add_argument("text", metavar="TEXT")
    sc.add_argument("--json", action="store_true")
    sc.set_defaults(handler=run_scan)
