"""``epimanager stock``: 疫苗出入库 — products, receipts, issues, wastage, counts, reports."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

from epimanager.cli.common import date_arg, open_database, print_json
from epimanager.errors import NotFoundError, ValidationError


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


def _batch_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--vaccine", required=True, help="疫苗编码或缩写，如 0201 / HepB / 乙肝")
    p.add_argument("--batch", required=True, help="批号")
    p.add_argument("--manufacturer", help="生产企业（同一疫苗有多个产品时必填）")
    p.add_argument("--spec", help="规格（同一疫苗同一企业有多个规格时必填）")


def _common_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--date", type=date_arg, metavar="YYYY-MM-DD", help="业务日期（默认今天）")
    p.add_argument("--user", help="操作人")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "stock", help="疫苗出入库", description="疫苗出入库：入库、出库、损耗、盘点和报表（单位：人份）。"
    )
    ssub = p.add_subparsers(dest="action", required=True, metavar="ACTION")

    prod = ssub.add_parser("product", help="疫苗产品（企业、规格、人份）")
    psub = prod.add_subparsers(dest="product_action", required=True, metavar="ACTION")
    padd = psub.add_parser("add", help="登记一个产品")
    padd.add_argument("--vaccine", required=True, help="疫苗编码或缩写")
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
    pset.add_argument("--vaccine", required=True)
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
    rep.add_argument("--out", type=Path, help="输出文件（xlsx 必填）")
    rep.set_defaults(handler=run_report)

    oh = ssub.add_parser("on-hand", help="库存（含失效期、近效期提示）")
    oh.add_argument("--date", type=date_arg, metavar="YYYY-MM-DD")
    oh.add_argument("--json", action="store_true")
    oh.add_argument("--format", choices=("csv", "xlsx"))
    oh.add_argument("--out", type=Path)
    oh.set_defaults(handler=run_on_hand)

    mv = ssub.add_parser("movements", help="出入库明细")
    mv.add_argument("--month", required=True, type=_month_arg, metavar="YYYY-MM")
    mv.add_argument("--vaccine")
    mv.add_argument("--json", action="store_true")
    mv.add_argument("--format", choices=("csv", "xlsx"))
    mv.add_argument("--out", type=Path)
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


# ---------------------------------------------------------------- products


def _product_line(p: Any) -> str:
    price = "免费" if p.free else (f"{p.price_fen / 100:.2f}元" if p.price_fen is not None else "收费")
    return (
        f"{p.vaccine_code} {p.label}  每瓶{p.doses_per_vial}人份  {price}  "
        f"最低库存 {p.min_quantity}  开启后 {p.open_vial_hours:g} 小时"
    )


def run_product_add(args: argparse.Namespace) -> int:
    from epimanager.services import stock

    db = open_database(args)
    try:
        p = stock.add_product(
            db,
            vaccine=args.vaccine,
            manufacturer=args.manufacturer,
            specification=args.spec,
            doses_per_vial=args.doses_per_vial,
            form=args.form,
            price_fen=args.price,
            free=not args.paid,
            min_quantity=args.min_quantity,
            open_vial_hours=args.open_vial_hours,
        )
    finally:
        db.close()
    if args.json:
        print_json(p.to_json())
    else:
        print(f"已登记产品：{_product_line(p)}")
    return 0


def run_product_set(args: argparse.Namespace) -> int:
    from epimanager.services import stock

    db = open_database(args)
    try:
        p = stock.find_product(db, args.vaccine, args.manufacturer, args.spec)
        p = stock.update_product(
            db, p.id, min_quantity=args.min_quantity, open_vial_hours=args.open_vial_hours, price_fen=args.price
        )
    finally:
        db.close()
    if args.json:
        print_json(p.to_json())
    else:
        print(f"已修改产品：{_product_line(p)}")
    return 0


def run_product_list(args: argparse.Namespace) -> int:
    from epimanager.services import stock

    db = open_database(args)
    try:
        products = stock.list_products(db)
    finally:
        db.close()
    if args.json:
        print_json([p.to_json() for p in products])
    else:
        for p in products:
            print(_product_line(p))
    return 0


# ---------------------------------------------------------------- movements


def _print_movement(args: argparse.Namespace, m: Any, verb: str) -> None:
    if args.json:
        print_json(m.to_json())
        return
    print(
        f"{verb}：{m.vaccine_abbr} 批号 {m.batch_no}（失效期 {m.expiry}）{m.subtype_label} "
        f"{m.delta:+d} 人份，结存 {m.balance} 人份"
    )


def run_receive(args: argparse.Namespace) -> int:
    from epimanager.services import stock

    db = open_database(args)
    try:
        quantity = args.quantity
        if args.vials is not None:
            per_vial = args.doses_per_vial
            if per_vial is None:
                try:
                    per_vial = stock.find_product(db, args.vaccine, args.manufacturer, args.spec).doses_per_vial
                except NotFoundError:
                    per_vial = 1
            quantity = args.vials * per_vial
        m = stock.receive(
            db,
            vaccine=args.vaccine,
            batch_no=args.batch,
            expiry=args.expiry,
            quantity=quantity,
            manufacturer=args.manufacturer,
            specification=args.spec,
            doses_per_vial=args.doses_per_vial,
            lot_release_no=args.lot_release,
            supplier=args.supplier,
            document_no=args.doc,
            trace_code=args.trace_code,
            gtin=args.gtin,
            on=args.date,
            user=args.user,
        )
    finally:
        db.close()
    _print_movement(args, m, "已入库")
    return 0


def _parse_type(text: str, allowed: tuple[str, ...]) -> str:
    from epimanager.domain.stock import parse_subtype

    try:
        return parse_subtype(text, allowed)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


def run_issue(args: argparse.Namespace) -> int:
    from epimanager.domain.stock import ISSUE_SUBTYPES
    from epimanager.services import stock

    subtype = _parse_type(args.type, ISSUE_SUBTYPES)
    db = open_database(args)
    try:
        m = stock.issue(
            db,
            vaccine=args.vaccine,
            batch_no=args.batch,
            quantity=args.quantity,
            subtype=subtype,
            manufacturer=args.manufacturer,
            specification=args.spec,
            counterparty=args.counterparty,
            document_no=args.doc,
            reason=args.reason,
            on=args.date,
            user=args.user,
        )
    finally:
        db.close()
    _print_movement(args, m, "已出库")
    return 0


def run_waste(args: argparse.Namespace) -> int:
    from epimanager.domain.stock import WASTE_SUBTYPES
    from epimanager.services import stock

    subtype = _parse_type(args.type, WASTE_SUBTYPES)
    db = open_database(args)
    try:
        m = stock.waste(
            db,
            vaccine=args.vaccine,
            batch_no=args.batch,
            quantity=args.quantity,
            subtype=subtype,
            reason=args.reason,
            manufacturer=args.manufacturer,
            specification=args.spec,
            document_no=args.doc,
            on=args.date,
            user=args.user,
        )
    finally:
        db.close()
    _print_movement(args, m, "已记损耗")
    return 0


def run_count(args: argparse.Namespace) -> int:
    from epimanager.services import stock

    db = open_database(args)
    try:
        m = stock.count(
            db,
            vaccine=args.vaccine,
            batch_no=args.batch,
            counted=args.counted,
            reason=args.reason,
            manufacturer=args.manufacturer,
            specification=args.spec,
            on=args.date,
            user=args.user,
        )
    finally:
        db.close()
    _print_movement(args, m, "已盘点")
    return 0


def run_expire(args: argparse.Namespace) -> int:
    from epimanager.services import stock

    db = open_database(args)
    try:
        lines = stock.expire_open_vials(db, user=args.user)
    finally:
        db.close()
    if args.json:
        print_json([m.to_json() for m in lines])
    elif not lines:
        print("没有超过时限的开启瓶")
    else:
        for m in lines:
            print(f"已记损耗：{m.vaccine_abbr} 批号 {m.batch_no} 开启后废弃 {m.quantity} 人份（{m.reason}）")
    return 0


# ---------------------------------------------------------------- reports


def _need_out(args: argparse.Namespace) -> Path:
    if args.out is None:
        raise ValidationError(f"导出 {args.format} 需要 --out 文件路径")
    return Path(args.out)


def run_report(args: argparse.Namespace) -> int:
    from epimanager.services import stock_reports as rep

    year, month = args.month
    db = open_database(args)
    try:
        summary = rep.monthly_summary(db, year, month)
        lines = rep.month_movements(db, year, month) if args.format == "xlsx" else []
    finally:
        db.close()
    if args.format == "json":
        if args.out:
            import json

            Path(args.out).write_text(json.dumps(summary.to_json(), ensure_ascii=False, indent=2), encoding="utf-8")
        else:
            print_json(summary.to_json())
        return 0
    table = rep.summary_table(summary)
    if args.format == "csv":
        if args.out is None:
            sys.stdout.write(rep.table_csv(table))
            return 0
        rep.write_csv(table, args.out)
    else:
        title = f"{year}年{month}月 出入库明细"
        rep.write_xlsx([table, rep.movements_table(lines, title)], _need_out(args))
    print(f"已导出：{args.out}")
    return 0


def run_on_hand(args: argparse.Namespace) -> int:
    from epimanager.services import stock_reports as rep

    on = args.date or date.today()
    db = open_database(args)
    try:
        rows = rep.on_hand(db, on)
    finally:
        db.close()
    if args.format:
        rep.write_table(rep.on_hand_table(rows, on), _need_out(args), args.format)
        print(f"已导出：{args.out}")
    elif args.json:
        print_json([r.to_json() for r in rows])
    elif not rows:
        print("库存为空")
    else:
        for r in rows:
            vials = f"（{r.closed_vials}瓶未开启，开启瓶剩{r.open_remaining}人份）" if r.doses_per_vial > 1 else ""
            parts = [r.vaccine_abbr, r.manufacturer, f"批号 {r.batch_no}", f"失效期 {r.expiry}"]
            parts += [f"{r.quantity} 人份{vials}", r.status]
            print("  ".join(p for p in parts if p))
    return 0


def run_movements(args: argparse.Namespace) -> int:
    from epimanager.services import stock_reports as rep

    year, month = args.month
    db = open_database(args)
    try:
        lines = rep.month_movements(db, year, month, vaccine=args.vaccine)
    finally:
        db.close()
    if args.format:
        table = rep.movements_table(lines, f"{year}年{month}月 出入库明细")
        rep.write_table(table, _need_out(args), args.format)
        print(f"已导出：{args.out}")
    elif args.json:
        print_json([m.to_json() for m in lines])
    else:
        for m in lines:
            extra = " ".join(x for x in (m.document_no, m.supplier, m.counterparty, m.reason) if x)
            print(
                f"{m.date}  {m.kind_label}/{m.subtype_label}  {m.vaccine_abbr} 批号 {m.batch_no}  "
                f"{m.delta:+d}  结存 {m.balance}  {extra}".rstrip()
            )
    return 0


def run_alerts(args: argparse.Namespace) -> int:
    from epimanager.services import stock

    db = open_database(args)
    try:
        expiring = stock.expiring_batches(db, args.days, args.date)
        low = stock.below_minimum(db, args.date)
    finally:
        db.close()
    if args.json:
        print_json({"expiring": [e.to_json() for e in expiring], "below_minimum": [x.to_json() for x in low]})
        return 0
    for e in expiring:
        b = e.batch
        when = f"已过期 {-e.days_left} 天" if e.days_left < 0 else f"{e.days_left} 天后失效"
        print(f"近效期：{b.vaccine_abbr} 批号 {b.batch_no} 失效期 {b.expiry}（{when}），{b.quantity} 人份")
    for x in low:
        print(f"低库存：{x.product.label} 现有 {x.on_hand} 人份，最低 {x.minimum} 人份，缺 {x.shortfall} 人份")
    if not expiring and not low:
        print("没有需要提醒的库存")
    return 0


def run_propose(args: argparse.Namespace) -> int:
    from epimanager.services import stock

    db = open_database(args)
    try:
        options = stock.propose_batches(db, args.vaccine, args.date)
    finally:
        db.close()
    if args.json:
        print_json([o.to_json() for o in options])
    elif not options:
        print("没有可用批号")
    else:
        for o in options:
            opened = f"  开启瓶剩 {o.open_remaining} 人份，{o.open_until:%H:%M} 前用完" if o.open_until else ""
            parts = [o.vaccine_abbr, o.manufacturer, f"批号 {o.batch_no}", f"失效期 {o.expiry}"]
            print("  ".join(p for p in parts if p) + f"  {o.quantity} 人份{opened}")
    return 0


def run_scan(args: argparse.Namespace) -> int:
    from epimanager.services import stock

    db = open_database(args)
    try:
        r = stock.identify_scan(db, args.text)
    finally:
        db.close()
    data = {
        "kind": r.kind,
        "trace_code": r.trace_code,
        "gtin": r.gtin,
        "batch_no": r.batch_no,
        "expiry": r.expiry.isoformat() if r.expiry else None,
        "serial": r.serial,
        "product": r.product.to_json() if r.product else None,
        "batch": r.batch.to_json() if r.batch else None,
        "options": [o.to_json() for o in r.options],
    }
    if args.json:
        print_json(data)
    else:
        product = r.product.label if r.product else "未知产品（尚无入库记录对应此码）"
        parts = [f"产品：{product}"]
        if r.batch_no:
            parts.append(f"批号：{r.batch_no}")
        if r.expiry:
            parts.append(f"失效期：{r.expiry}")
        print("  ".join(parts))
    return 0
