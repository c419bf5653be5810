"""``stock receive|issue|waste|count|expire-open-vials``: one ledger line each."""

from __future__ import annotations

import argparse
from typing import Any

from epimanager.cli.common import open_database, print_json
from epimanager.errors import NotFoundError, ValidationError


def _print_movement(args: argparse.Namespace, m: Any, verb: str) -> None:
    if args.json:
        print_json(m.to_json())
        return
    print(
        f"{verb}：{m.vaccine_abbr} 批号 {m.batch_no}（失效期 {m.expiry}）{m.subtype_label} "
        f"{m.delta:+d} {m.unit}，结存 {m.balance} {m.unit}"
    )


def run_receive(args: argparse.Namespace) -> int:
    from epimanager.services.stock import catalog, movements

    db = open_database(args)
    try:
        quantity = args.quantity
        if args.vials is not None:
            per_vial = args.doses_per_vial
            if per_vial is None:
                try:
                    per_vial = catalog.find_product(db, args.vaccine, args.manufacturer, args.spec).doses_per_vial
                except NotFoundError:
                    per_vial = 1
            quantity = args.vials * per_vial
        m = movements.receive(
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
    from epimanager.services.stock import movements

    subtype = _parse_type(args.type, ISSUE_SUBTYPES)
    db = open_database(args)
    try:
        m = movements.issue(
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
    from epimanager.services.stock import movements

    subtype = _parse_type(args.type, WASTE_SUBTYPES)
    db = open_database(args)
    try:
        m = movements.waste(
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
    from epimanager.services.stock import counts

    db = open_database(args)
    try:
        m = counts.count(
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
    from epimanager.services.stock import movements

    db = open_database(args)
    try:
        lines = movements.expire_open_vials(db, user=args.user)
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
