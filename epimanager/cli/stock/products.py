"""``stock product add|set|list``: the products (企业、规格、人份) stock is kept in."""

from __future__ import annotations

import argparse
from typing import Any

from epimanager.cli.common import open_database, print_json


def _product_line(p: Any) -> str:
    price = "免费" if p.free else (f"{p.price_fen / 100:.2f}元" if p.price_fen is not None else "收费")
    if p.kind == "syringe":
        return f"{p.vaccine_code} {p.vaccine_name} {p.manufacturer} {p.specification}".rstrip() + (
            f"  {price}  最低库存 {p.min_quantity} 支"
        )
    return (
        f"{p.vaccine_code} {p.label}  每瓶{p.doses_per_vial}人份  {price}  "
        f"最低库存 {p.min_quantity}  开启后 {p.open_vial_hours:g} 小时"
    )


def run_product_add(args: argparse.Namespace) -> int:
    from epimanager.services.stock import catalog

    db = open_database(args)
    try:
        p = catalog.add_product(
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
    from epimanager.services.stock import catalog

    db = open_database(args)
    try:
        p = catalog.find_product(db, args.vaccine, args.manufacturer, args.spec)
        p = catalog.update_product(
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
    from epimanager.services.stock import catalog

    db = open_database(args)
    try:
        products = catalog.list_products(db)
    finally:
        db.close()
    if args.json:
        print_json([p.to_json() for p in products])
    else:
        for p in products:
            print(_product_line(p))
    return 0
