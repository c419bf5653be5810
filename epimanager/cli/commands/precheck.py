"""``epimanager precheck``: 预检 on the command line — temperature and answers → the 暂缓 / 禁忌."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "precheck",
        help="预检：体温与健康询问，得出今天各疫苗 可接种/暂缓/禁忌",
        description=(
            "记录儿童今天的预检（有就诊号时记在当天就诊上）并列出暂缓、禁忌。"
            "未列出的问题按“否”。--questions 列出问卷；--show 查看今天的预检；--lift 解除禁忌（业务管理员）。"
        ),
    )
    p.add_argument("code", nargs="?", metavar="CHILD_CODE", help="儿童编码")
    p.add_argument("--temperature", type=float, metavar="°C", help="体温，如 36.8")
    p.add_argument(
        "--answer", action="append", default=[], metavar="N=ANSWER",
        help="答“是”的题：1=yes；2=DTaP,MMR（严重反应的疫苗）；6=IVIG@2026-11-20（品名@日期）；可多次",
    )  # fmt: skip
    p.add_argument("--dry-run", action="store_true", help="只判断，不保存")
    p.add_argument("--expected-version", type=int, metavar="N", help="看到的预检版本（0 为尚无）；已被改动时拒绝")
    p.add_argument("--show", action="store_true", help="查看今天的预检和仍有效的暂缓、禁忌")
    p.add_argument("--questions", action="store_true", help="列出预检问卷")
    p.add_argument("--lift", metavar="VACCINE", help="解除该疫苗的禁忌（业务管理员，需 --reason 医生意见）")
    p.add_argument("--reason", help="解除禁忌的医生意见或理由")
    p.add_argument("--desk", metavar="NAME", help="工作台（默认本机）")
    p.add_argument("--user", help="操作员（未建用户时）")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from epimanager.cli.common import open_database, print_json
    from epimanager.domain import precheck as dp
    from epimanager.errors import ValidationError
    from epimanager.services import precheck

    ql = precheck.question_list()
    if args.questions:
        if args.json:
            print_json({"version": ql.version, "fever_above": ql.fever_above,
                        "questions": [{"number": q.number, "text": q.text, "answer": q.answer.value}
                                      for q in ql.questions]})  # fmt: skip
        else:
            print(f"预检问卷（版本 {ql.version}；体温高于 {ql.fever_above:.1f}°C 暂缓接种）")
            for q in ql.questions:
                print(f"{q.number}. {q.text}")
        return 0
    if not args.code:
        raise ValidationError("请给出儿童编码")
    db = open_database(args)
    try:
        if args.lift:
            d = precheck.lift(db, args.code, args.lift, args.reason or "", expected_version=None, user=args.user)
            if args.json:
                print_json(d.to_json())
            else:
                print(f"已解除 {d.vaccine_name} 的禁忌（{d.lift_reason}）")
            return 0
        if args.show:
            record = precheck.precheck_of(db, args.code)
            if record is None:
                found = precheck.list_deferrals(db, args.code)
                if args.json:
                    print_json({"precheck": None, "deferrals": [d.to_json() for d in found]})
                else:
                    print("今天尚未预检")
                    for d in found:
                        print(f"  {d.vaccine_name}：{d.text}（{d.reason}）")
                return 0
        else:
            if args.temperature is None:
                raise ValidationError("请用 --temperature 给出体温，如 --temperature 36.8")
            answers: dict[int, dp.Answer] = {}
            for text in args.answer:
                try:
                    number, answer = dp.parse_answer(ql, text)
                except ValueError as exc:
                    raise ValidationError(str(exc)) from None
                answers[number] = answer
            record = precheck.save_precheck(
                db, args.code, args.temperature, answers, expected_version=args.expected_version,
                desk=args.desk, user=args.user, dry_run=args.dry_run,
            )  # fmt: skip
    finally:
        db.close()
    if args.json:
        print_json({**record.to_json(), "dry_run": bool(args.dry_run)})
    else:
        print(_text(record, dry_run=bool(args.dry_run)))
    return 0


def _text(record: Any, *, dry_run: bool) -> str:
    ticket = f"（{record.ticket} 号）" if record.ticket else ""
    head = "预检（未保存）" if dry_run else f"预检已保存（第{record.version}版）"
    lines = [f"{head}：{record.child_name} {record.child_code}{ticket} 体温 {record.temperature:.1f}°C"]
    yes = [f"{a.number}. {a.text}" + (f"（{a.detail}）" if a.detail else "") for a in record.positive]
    lines.append("答“是”：" + ("；".join(yes) if yes else "无"))
    for o in record.outcomes:
        why = f"（{'；'.join(o.reasons)}）" if o.reasons else ""
        lines.append(f"  {o.name}：{o.text}{why}")
    if not record.outcomes:
        lines.append("  今天没有应种或已安排的疫苗")
    others = [d for d in record.deferrals if d.vaccine_code not in {o.code for o in record.outcomes}]
    if others:
        lines.append(f"其他疫苗：{len(others)} 种暂缓或禁忌（--show --json 查看全部）")
    return "\n".join(lines)
