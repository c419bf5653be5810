"""``stock propose|scan``: which batch to use, and what a scanned code stands for."""

from __future__ import annotations

import argparse

from epimanager.cli.common import open_database, print_json


def run_propose(args: argparse.Namespace) -> int:
    from epimanager.services.stock import proposals

    db = open_database(args)
    try:
        options = proposals.propose_batches(db, args.vaccine, args.date)
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
    from epimanager.services.stock import scan

    db = open_database(args)
    try:
        r = scan.identify_scan(db, args.text)
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
