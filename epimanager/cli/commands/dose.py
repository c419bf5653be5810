"""``epimanager dose add``: record one dose."""

from __future__ import annotations

import argparse

from epimanager.cli.common import date_arg, open_database, print_json
from epimanager.domain.codes import DoseAttribute
from epimanager.domain.validation import DoseInput
from epimanager.errors import ValidationError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("dose", help="登记接种记录", description="登记接种记录。")
    dsub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = dsub.add_parser("add", help="为一个儿童登记一剂接种")
    add.add_argument("child_code", metavar="CHILD_CODE")
    add.add_argument("--vaccine", required=True, help="疫苗编码或缩写，如 0201 / HepB / 乙肝")
    add.add_argument("--dose", type=int, required=True, dest="dose_number", help="剂次")
    add.add_argument("--date", required=True, type=date_arg, metavar="YYYY-MM-DD")
    add.add_argument("--attribute", default="常规", help="常规/加强/强化/应急/防病需要/补种")
    add.add_argument("--batch")
    add.add_argument("--manufacturer")
    add.add_argument("--site")
    add.add_argument("--nurse")
    add.add_argument("--unit-code", help="接种单位编码（默认本单位）")
    add.add_argument(
        "--trace-code",
        help="扫码得到的20位追溯码：核对产品、效期、召回/封存、一码多用和开启时限，并带出批号、效期、生产企业",
    )
    add.add_argument("--scan", help="扫码枪读出的 GS1 二维码内容（与 --trace-code 同样核对）")
    add.add_argument("--override-reason", help="业务管理员强制通过扫码核对的原因（记入审计）")
    add.add_argument(
        "--confirm-invalid",
        action="store_true",
        help="确认保存免疫程序评价为无效的剂次（首针提前、未到月龄、间短……）；不加时拒绝并说明原因",
    )
    add.add_argument(
        "--confirm-duplicate",
        action="store_true",
        help="确认保存儿童已有的剂次（同一系列同一剂次的有效记录，或同一疫苗同一天）作为更正/补录；不加时拒绝并说明",
    )
    add.add_argument(
        "--confirm-off-order",
        action="store_true",
        help="确认登记不在该儿童今日接种安排（登记台所定）中的剂次；不加时拒绝并说明今日安排",
    )
    add.add_argument("--json", action="store_true")
    add.set_defaults(handler=run_add)


def run_add(args: argparse.Namespace) -> int:
    from epimanager.services.doses import DuplicateDose, InvalidDose, OffOrderDose, add_dose

    try:
        attribute = DoseAttribute.parse(args.attribute)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    inp = DoseInput(
        vaccine=args.vaccine,
        dose_number=args.dose_number,
        date=args.date,
        attribute=attribute,
        batch_no=args.batch,
        manufacturer=args.manufacturer,
        site=args.site,
        nurse=args.nurse,
        unit_code=args.unit_code,
        trace_code=args.trace_code,
    )
    db = open_database(args)
    try:
        dose = add_dose(
            db,
            args.child_code,
            inp,
            user=args.nurse,
            confirm_invalid=args.confirm_invalid,
            confirm_duplicate=args.confirm_duplicate,
            confirm_off_order=args.confirm_off_order,
            scan=args.scan,
            scan_override=args.override_reason,
        )
    except OffOrderDose as exc:
        raise ValidationError(f"{exc.message}（确需登记请加 --confirm-off-order）") from None
    except InvalidDose as exc:
        raise ValidationError(f"{exc.message}（确需登记请加 --confirm-invalid）") from None
    except DuplicateDose as exc:
        raise ValidationError(f"{exc.message}（确属更正/补录请加 --confirm-duplicate）") from None
    finally:
        db.close()
    if args.json:
        print_json(dose.to_json())
    else:
        print(f"已登记：{dose.vaccine_name} 第{dose.dose_number}剂 {dose.date}")
    return 0
