"""``stock report|on-hand|movements|alerts``: what the ledger adds up to, on screen or as CSV/xlsx."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from epimanager.cli.common import open_database, print_json
from epimanager.errors import ValidationError


def _need_out(args: argparse.Namespace) -> Path:
    if args.out is None:
        raise ValidationError(f"导出 {args.format} 需要 --out 文件路径")
    return Path(args.out)


def run_report(args: argparse.Namespace) -> int:
    from epimanager.services.stock import export, reports

    year, month = args.month
    db = open_database(args)
    try:
        summary = reports.monthly_summary(db, year, month)
        lines = reports.month_movements(db, year, month) if args.format == "xlsx" else []
    finally:
        db.close()
    if args.format == "json":
        if args.out:
            import json

            Path(args.out).write_text(json.dumps(summary.to_json(), ensure_ascii=False, indent=2), encoding="utf-8")
        else:
            print_json(summary.to_json())
        return 0
    table = export.syringe_summary_table(summary) if args.part == "syringe" else export.summary_table(summary)
    if args.format == "csv":
        if args.out is None:
            sys.stdout.write(export.table_csv(table))
            return 0
        export.write_csv(table, args.out)
    else:
        title = f"{year}年{month}月 出入库明细"
        export.write_xlsx([*export.summary_tables(summary), export.movements_table(lines, title)], _need_out(args))
    print(f"已导出：{args.out}")
    return 0


def run_on_hand(args: argparse.Namespace) -> int:
    from epimanager.services.stock import export, reports

    on = args.date or date.today()
    db = open_database(args)
    try:
        rows = reports.on_hand(db, on)
    finally:
        db.close()
    if args.format:
        export.write_table(export.on_hand_table(rows, on), _need_out(args), args.format)
        print(f"已导出：{args.out}")
    elif args.json:
        print_json([r.to_json() for r in rows])
    elif not rows:
        print("库存为空")
    else:
        for r in rows:
            vials = f"（{r.closed_vials}瓶未开启，开启瓶剩{r.open_remaining}人份）" if r.doses_per_vial > 1 else ""
            parts = [r.vaccine_abbr, r.manufacturer, f"批号 {r.batch_no}", f"失效期 {r.expiry}"]
            parts += [f"{r.quantity} {r.unit}{vials}", r.status]
            print("  ".join(p for p in parts if p))
    return 0


def run_movements(args: argparse.Namespace) -> int:
    from epimanager.services.stock import export, reports

    year, month = args.month
    db = open_database(args)
    try:
        lines = reports.month_movements(db, year, month, vaccine=args.vaccine)
    finally:
        db.close()
    if args.format:
        table = export.movements_table(lines, f"{year}年{month}月 出入库明细")
        export.write_table(table, _need_out(args), args.format)
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
    from epimanager.services.stock import alerts, syringes
    from epimanager.services.stock.records import unit_of

    db = open_database(args)
    try:
        expiring = alerts.expiring_batches(db, args.days, args.date)
        low = alerts.below_minimum(db, args.date)
        short = syringes.shortages(db, syringes.shortage_window_start(args.date or date.today()))
    finally:
        db.close()
    if args.json:
        print_json(
            {
                "expiring": [e.to_json() for e in expiring],
                "below_minimum": [x.to_json() for x in low],
                "syringe_shortages": [x.to_json() for x in short],
            }
        )
        return 0
    for e in expiring:
        b = e.batch
        when = f"已过期 {-e.days_left} 天" if e.days_left < 0 else f"{e.days_left} 天后失效"
        print(f"近效期：{b.vaccine_abbr} 批号 {b.batch_no} 失效期 {b.expiry}（{when}），{b.quantity} {b.unit}")
    for x in low:
        u = unit_of(x.product.kind)
        print(f"低库存：{x.product.label} 现有 {x.on_hand} {u}，最低 {x.minimum} {u}，缺 {x.shortfall} {u}")
    for sh in short:
        print(f"注射器短缺：{sh.label}（{sh.abbr}）{sh.doses} 剂次接种时库存无此注射器（{sh.first}～{sh.last}）")
    if not expiring and not low and not short:
        print("没有需要提醒的库存")
    return 0
