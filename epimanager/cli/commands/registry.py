"""``epimanager registry``: 在册变更 and its history, delete/restore, 临时接种, 补录."""

from __future__ import annotations

import argparse
import os

from epimanager.cli.common import date_arg, open_database, print_json


def _user(p: argparse.ArgumentParser) -> None:
    p.add_argument("--user", default=os.environ.get("EPIMANAGER_USER"), help="操作员（默认：环境变量 EPIMANAGER_USER）")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``registry`` subcommand."""
    from epimanager.domain.registry import MOVEOUT_REASONS

    p = sub.add_parser("registry", help="在册变更、在册变更查询、删除/恢复个案、临时接种、补录")
    rs = p.add_subparsers(dest="registry_command", metavar="ACTION", required=True)

    c = rs.add_parser("change", help="变更在册情况", description="迁出时必须给出原因；原因为“其他”时必须填写备注。")
    c.add_argument("code", metavar="CODE", help="儿童编码")
    c.add_argument("--status", required=True, help="新在册情况：本地/迁出/临时外转/死亡/入学/入托/… 或代码 1–10")
    c.add_argument("--date", type=date_arg, required=True, metavar="YYYY-MM-DD", help="变更日期")
    c.add_argument("--reason", help="原因；迁出时必填，可选：" + "、".join(MOVEOUT_REASONS))
    c.add_argument("--remark", help="备注（原因为“其他”时必填）")
    _user(c)
    c.add_argument("--json", action="store_true", help="以 JSON 输出")
    c.set_defaults(handler=run_change)

    h = rs.add_parser("history", help="在册变更查询")
    h.add_argument("--from", dest="start", type=date_arg, metavar="YYYY-MM-DD", help="变更日期起")
    h.add_argument("--to", dest="end", type=date_arg, metavar="YYYY-MM-DD", help="变更日期止")
    h.add_argument("--status", help="新在册情况")
    h.add_argument("--committee", metavar="NAME", help="区域划分名称或编码")
    h.add_argument("--json", action="store_true", help="以 JSON 输出")
    h.set_defaults(handler=run_history)

    d = rs.add_parser("delete", help="删除个案（可恢复）")
    d.add_argument("code", metavar="CODE")
    d.add_argument("--reason", help="删除原因")
    _user(d)
    d.set_defaults(handler=run_delete)

    r = rs.add_parser("restore", help="恢复已删除的个案")
    r.add_argument("code", metavar="CODE")
    _user(r)
    r.set_defaults(handler=run_restore)

    rd = rs.add_parser("restore-dose", help="恢复已删除的接种记录")
    rd.add_argument("uuid", metavar="UUID")
    _user(rd)
    rd.set_defaults(handler=run_restore_dose)

    ls = rs.add_parser("deleted", help="列出已删除的个案（或某个案已删除的接种记录）")
    ls.add_argument("code", metavar="CODE", nargs="?", help="儿童编码：列出其已删除的接种记录")
    ls.add_argument("--json", action="store_true", help="以 JSON 输出")
    ls.set_defaults(handler=run_deleted)

    t = rs.add_parser("temp", help="临时接种：为外单位管理的儿童建立最简个案（在册情况 9）")
    t.add_argument("--name", required=True)
    t.add_argument("--sex", required=True, help="男/女")
    t.add_argument("--birth-date", type=date_arg, required=True, metavar="YYYY-MM-DD")
    t.add_argument("--mother")
    t.add_argument("--father")
    t.add_argument("--phone")
    t.add_argument("--home-unit", metavar="CODE", help="管理单位编码（10位）")
    _user(t)
    t.add_argument("--json", action="store_true", help="以 JSON 输出")
    t.set_defaults(handler=run_temp)

    b = rs.add_parser("backfill", help="补录在外单位或外地接种的剂次（计入预测，不计本单位实种）")
    b.add_argument("code", metavar="CODE")
    b.add_argument("--vaccine", required=True)
    b.add_argument("--dose", type=int, required=True)
    b.add_argument("--date", type=date_arg, required=True, metavar="YYYY-MM-DD")
    b.add_argument("--unit", metavar="CODE", help="接种单位编码（10位）；不填为外地")
    b.add_argument("--batch")
    b.add_argument(
        "--confirm-duplicate",
        action="store_true",
        help="确认补录儿童已有的剂次（同一系列同一剂次的有效记录，或同一疫苗同一天）；不加时拒绝并说明",
    )
    _user(b)
    b.add_argument("--json", action="store_true", help="以 JSON 输出")
    b.set_defaults(handler=run_backfill)


def run_change(args: argparse.Namespace) -> int:
    from epimanager.services.registry import change_status

    db = open_database(args)
    try:
        rec = change_status(db, args.code, args.status, args.date, args.reason, args.remark, args.user)
    finally:
        db.close()
    if args.json:
        print_json(rec.to_json())
    else:
        print(f"已变更 {rec.child_code} {rec.child_name}：{rec.old_label} → {rec.new_label}（{rec.change_date}）")
    return 0


def run_history(args: argparse.Namespace) -> int:
    from epimanager.services.queries.common import display, iter_rows, row_json
    from epimanager.services.queries.status_changes import StatusChangeQuery

    q = StatusChangeQuery(args.start, args.end, args.status, args.committee)
    db = open_database(args)
    try:
        rows = list(iter_rows(db, q))
    finally:
        db.close()
    if args.json:
        print_json({"count": len(rows), "changes": [row_json(q.columns, r) for r in rows]})
        return 0
    print(f"在册变更：共 {len(rows)} 条")
    for r in rows:
        print("  ".join(display(v) or "-" for v in r.values[:11]))
    return 0


def run_delete(args: argparse.Namespace) -> int:
    from epimanager.services.registry import delete_child

    db = open_database(args)
    try:
        delete_child(db, args.code, user=args.user, reason=args.reason)
    finally:
        db.close()
    print(f"已删除个案 {args.code}（可用 epimanager registry restore {args.code} 恢复）")
    return 0


def run_restore(args: argparse.Namespace) -> int:
    from epimanager.services.registry import restore_child

    db = open_database(args)
    try:
        rec = restore_child(db, args.code, user=args.user)
    finally:
        db.close()
    print(f"已恢复个案 {rec.code} {rec.name}")
    return 0


def run_restore_dose(args: argparse.Namespace) -> int:
    from epimanager.services.registry import restore_dose

    db = open_database(args)
    try:
        rec = restore_dose(db, args.uuid, user=args.user)
    finally:
        db.close()
    print(f"已恢复接种记录 {rec.vaccine_abbr} 第{rec.dose_number}剂 {rec.date}")
    return 0


def run_deleted(args: argparse.Namespace) -> int:
    from epimanager.services.registry import deleted_children, deleted_doses

    db = open_database(args)
    try:
        if args.code:
            doses = deleted_doses(db, args.code)
            if args.json:
                print_json([d.to_json() for d in doses])
            else:
                for d in doses:
                    print(f"{d.uuid}  {d.date}  {d.vaccine_abbr} 第{d.dose_number}剂")
            return 0
        children = deleted_children(db)
    finally:
        db.close()
    if args.json:
        print_json([c.to_json() for c in children])
    else:
        for c in children:
            print(f"{c.code}  {c.name}  {c.birth_date}  {c.mother_name or '-'}")
    return 0


def run_temp(args: argparse.Namespace) -> int:
    from epimanager.domain.codes import Sex
    from epimanager.errors import ValidationError
    from epimanager.services.registry import create_temporary_child

    try:
        sex = Sex.parse(args.sex).value
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    db = open_database(args)
    try:
        rec = create_temporary_child(
            db,
            args.name,
            sex,
            args.birth_date,
            mother_name=args.mother,
            father_name=args.father,
            phone=args.phone,
            home_unit=args.home_unit,
            user=args.user,
        )
    finally:
        db.close()
    if args.json:
        print_json(rec.to_json())
    else:
        print(f"已建立临时接种个案 {rec.code} {rec.name}")
    return 0


def run_backfill(args: argparse.Namespace) -> int:
    from epimanager.domain.validation import DoseInput
    from epimanager.errors import ValidationError
    from epimanager.services.doses import DuplicateDose
    from epimanager.services.registry import back_enter_dose

    db = open_database(args)
    try:
        rec = back_enter_dose(
            db,
            args.code,
            DoseInput(args.vaccine, args.dose, args.date, batch_no=args.batch),
            other_unit=args.unit,
            user=args.user,
            confirm_duplicate=args.confirm_duplicate,
        )
    except DuplicateDose as exc:
        raise ValidationError(f"{exc.message}（确属更正/补录请加 --confirm-duplicate）") from None
    finally:
        db.close()
    if args.json:
        print_json(rec.to_json())
    else:
        print(f"已补录 {rec.vaccine_abbr} 第{rec.dose_number}剂 {rec.date}（{rec.unit_code or rec.place_text}）")
    return 0
