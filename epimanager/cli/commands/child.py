"""``epimanager child``: show or add one child."""

from __future__ import annotations

import argparse

from epimanager.cli.common import date_arg, open_database, print_json
from epimanager.domain.codes import Residence, Sex
from epimanager.domain.validation import ChildInput
from epimanager.errors import ValidationError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("child", help="查看/新建儿童个案", description="查看或新建儿童个案。")
    csub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    show = csub.add_parser("show", help="显示一个儿童的基本资料和接种记录")
    show.add_argument("code", metavar="CODE", help="18位儿童编码")
    show.add_argument("--json", action="store_true", help="以 JSON 输出")
    show.set_defaults(handler=run_show)
    add = csub.add_parser("add", help="新建儿童")
    add.add_argument("--name", required=True)
    add.add_argument("--sex", required=True, help="男/女")
    add.add_argument("--birth-date", required=True, type=date_arg, metavar="YYYY-MM-DD")
    add.add_argument("--mother")
    add.add_argument("--father")
    add.add_argument("--phone")
    add.add_argument("--id-number")
    add.add_argument("--committee")
    add.add_argument("--residence", default="本地", help="本地/流动/临时")
    add.add_argument("--json", action="store_true")
    add.set_defaults(handler=run_add)


def run_show(args: argparse.Namespace) -> int:
    from epimanager.paths import resolve_db_path
    from epimanager.services.quick_read import child_by_code, reading

    with reading(resolve_db_path(args.db)) as rows:
        child = child_by_code(rows, args.code)
    if args.json:
        print_json(child.to_json())
        return 0
    print(f"{child.code}  {child.name}  {child.sex_label}  {child.birth_date}  在册情况：{child.status_label}")
    print(f"母亲：{child.mother_name or ''}  父亲：{child.father_name or ''}  电话：{child.phone or ''}")
    print(f"区域划分：{child.committee or ''}  居住属性：{child.residence_label}")
    for d in child.doses:
        place = d.unit_code or d.place_text or "外地"
        batch = d.batch_no or ""
        print(f"  {d.date}  {d.vaccine_name}  第{d.dose_number}剂  {d.attribute_label}  批号 {batch}  {place}")
    return 0


def run_add(args: argparse.Namespace) -> int:
    from epimanager.services.children import create_child

    try:
        sex = Sex.parse(args.sex).value
        residence = Residence.parse(args.residence)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    inp = ChildInput(
        name=args.name,
        sex=sex,
        birth_date=args.birth_date,
        mother_name=args.mother,
        father_name=args.father,
        phone=args.phone,
        id_number=args.id_number,
        committee=args.committee,
        residence=residence,
    )
    db = open_database(args)
    try:
        child = create_child(db, inp)
    finally:
        db.close()
    if args.json:
        print_json(child.to_json())
    else:
        print(f"已新建儿童：{child.code} {child.name}")
    return 0
