"""``epimanager aefi``: 疑似预防接种异常反应个案 — add, list, follow up, mark reported, export the card."""

from __future__ import annotations

import argparse
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from epimanager.cli.common import check_out_path, date_arg, open_database, print_json

SEVERITIES = ("一般", "严重")


def datetime_arg(text: str) -> datetime:
    """``YYYY-MM-DD HH:MM`` (or with a ``T``)."""
    try:
        return datetime.fromisoformat(text.strip().replace("T", " "))
    except ValueError:
        raise argparse.ArgumentTypeError(f"时间格式应为 YYYY-MM-DD HH:MM：{text}") from None


def _user(p: argparse.ArgumentParser) -> None:
    p.add_argument("--user", default=os.environ.get("EPIMANAGER_USER"), help="操作员（默认：环境变量 EPIMANAGER_USER）")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``aefi`` subcommand (add / list / follow-up / report / export)."""
    p = sub.add_parser(
        "aefi",
        help="疑似预防接种异常反应个案（报告卡、报告时限、随访、导出）",
        description="疑似预防接种异常反应（AEFI）个案：死亡、严重、群体性 AEFI 发现后 2 小时内报告，其他 48 小时内。",
    )
    acts = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = acts.add_parser("add", help="为儿童的一剂接种新建个案报告卡")
    add.add_argument("code", metavar="CHILD_CODE", help="儿童编码")
    add.add_argument("--vaccine", required=True, help="疫苗（编码、简称或名称）")
    add.add_argument("--dose-date", type=date_arg, metavar="YYYY-MM-DD", help="接种日期（默认：该疫苗最近一剂）")
    add.add_argument("--dose-number", type=int, metavar="N", help="剂次")
    add.add_argument("--onset", type=datetime_arg, required=True, metavar="'YYYY-MM-DD HH:MM'", help="反应发生时间")
    add.add_argument(
        "--discovered", type=datetime_arg, metavar="'YYYY-MM-DD HH:MM'", help="发现时间（默认：现在；报告时限由此起算）"
    )
    add.add_argument("--symptom", action="append", default=[], metavar="CODE|NAME", help="主要症状（可重复）")
    add.add_argument("--text", help="临床经过描述")
    add.add_argument("--severity", required=True, choices=SEVERITIES, help="严重程度")
    add.add_argument("--outcome", help="转归：痊愈/好转/未愈/后遗症/死亡/不详")
    add.add_argument("--group", action="store_true", help="群体性反应")
    add.add_argument("--diagnosis", help="初步临床诊断")
    add.add_argument("--reporter", help="报告人（默认：操作员）")
    _user(add)
    add.add_argument("--json", action="store_true", help="以 JSON 输出")
    lst = acts.add_parser("list", help="列出个案（--unreported：未报告的，按报告时限）")
    lst.add_argument("--unreported", action="store_true", help="只列未报告的个案")
    lst.add_argument("--month", metavar="YYYY-MM", help="发病月份")
    lst.add_argument("--json", action="store_true", help="以 JSON 输出")
    fu = acts.add_parser("follow-up", help="添加随访记录")
    fu.add_argument("uuid", metavar="UUID")
    fu.add_argument("--date", type=date_arg, required=True, metavar="YYYY-MM-DD", help="随访日期")
    fu.add_argument("--text", required=True, help="随访情况")
    fu.add_argument("--outcome", help="转归")
    fu.add_argument("--version", type=int, help="看到的版本号（过期则拒绝）")
    _user(fu)
    fu.add_argument("--json", action="store_true", help="以 JSON 输出")
    rep = acts.add_parser("report", help="标记个案已报告（网络直报完成）")
    rep.add_argument("uuid", metavar="UUID")
    rep.add_argument("--at", type=datetime_arg, metavar="'YYYY-MM-DD HH:MM'", help="报告时间（默认：现在）")
    rep.add_argument("--version", type=int, help="看到的版本号（过期则拒绝）")
    _user(rep)
    rep.add_argument("--json", action="store_true", help="以 JSON 输出")
    exp = acts.add_parser("export", help="导出个案报告卡（xlsx）")
    exp.add_argument("uuid", nargs="?", metavar="UUID", help="一个个案；或用 --month 导出一个月")
    exp.add_argument("--month", metavar="YYYY-MM", help="发病月份")
    exp.add_argument("--out", type=Path, required=True, metavar="F.xlsx", help="输出文件")
    exp.add_argument("--force", action="store_true", help="覆盖已有文件")
    p.set_defaults(handler=run)


def _line(c: Any, now: datetime) -> str:
    symptoms = "、".join(c.symptom_names) or (c.symptom_text or "")
    return (
        f"{c.uuid}  {c.child_code} {c.child_name}  {c.vaccine_name} 批号 {c.batch_no or '—'} 第{c.dose_number}剂  "
        f"发病 {c.onset_at:%Y-%m-%d %H:%M}  {c.severity}  {symptoms}  "
        f"时限 {c.deadline:%Y-%m-%d %H:%M}  {c.time_left(now)}"
    )


def run(args: argparse.Namespace) -> int:
    from epimanager.domain.aefi import AefiInput
    from epimanager.errors import ValidationError
    from epimanager.services import aefi
    from epimanager.services.aefi_export import export_xlsx
    from epimanager.services.units import unit_info

    now = datetime.now()
    cluster: list[Any] = []
    db = open_database(args)
    try:
        if args.action == "add":
            names = aefi.symptom_list()
            codes = []
            for s in args.symptom:
                code = names.resolve(s)
                if code is None:
                    raise ValidationError(f"未知的症状：{s}（代码或名称见 resources/aefi/symptoms.json）")
                codes.append(code)
            dose = aefi.find_dose(db, args.code, args.vaccine, args.dose_date, args.dose_number)
            inp = AefiInput(
                onset_at=args.onset,
                symptoms=tuple(codes),
                symptom_text=args.text,
                severity=args.severity,
                outcome=args.outcome,
                group_event=args.group,
                diagnosis=args.diagnosis,
                reporter=args.reporter,
                discovered_at=args.discovered,
            )
            cases = [aefi.add_case(db, dose.dose_uuid, inp, user=args.user, now=now)]
            cluster = aefi.cluster_of(db, cases[0])
        elif args.action == "list":
            cases = aefi.list_cases(db, unreported=args.unreported, month=args.month)
        elif args.action == "follow-up":
            cases = [
                aefi.add_follow_up(
                    db, args.uuid, args.date, args.text, args.outcome, expected_version=args.version, user=args.user
                )
            ]
        elif args.action == "report":
            cases = [aefi.mark_reported(db, args.uuid, expected_version=args.version, at=args.at, user=args.user)]
        else:
            if (args.uuid is None) == (args.month is None):
                raise ValidationError("请给出一个个案 UUID 或 --month YYYY-MM（二者选一）")
            check_out_path(args.out, db.location if isinstance(db.location, Path) else None, force=args.force)
            cases = [aefi.get_case(db, args.uuid)] if args.uuid else aefi.list_cases(db, month=args.month)
            n = export_xlsx(cases, args.out, unit_info(db).name, now)
            print(f"已导出 {n} 份个案报告卡：{args.out}")
            return 0
    finally:
        db.close()
    if args.json:
        if args.action == "list":
            print_json([c.to_json() for c in cases])
        else:
            print_json({**cases[0].to_json(), "cluster": [{"uuid": r.uuid, "child_name": r.label} for r in cluster]})
        return 0
    if args.action == "list" and not cases:
        print("没有个案" if not args.unreported else "没有未报告的个案")
    for c in cases:
        print(_line(c, now))
        if args.action == "add":
            print(f"{c.limit_text}：请于 {c.deadline:%Y-%m-%d %H:%M} 前报告")
    if cluster:
        others = "、".join(f"{r.label}（发病 {r.onset:%m-%d}）" for r in cluster)
        print(f"注意：同批号 30 天内另有 {len(cluster)} 例异常反应：{others}；请核查该批疫苗并评估是否为群体性 AEFI")
    return 0
