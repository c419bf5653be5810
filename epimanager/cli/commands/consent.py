"""``epimanager consent``: the guardian's 知情同意 for a vaccine today (同意 / 不同意 / 到点再议).

``consent CODE --vaccine V --choice 同意|不同意|到点再议 [--paper] [--reason R]`` records it (agree /
refuse / defer are accepted too); a signature from the command line is 纸质签字 (``--paper``) or
strokes from a JSON file (``--strokes``: ``[[[x, y, pressure], …], …]``).  ``consent list CODE``
lists the child's consents, ``consent text V`` prints the vaccine's current 告知书.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from epimanager.cli.common import date_arg, open_database, print_json


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``consent`` subcommand."""
    p = sub.add_parser(
        "consent",
        help="知情告知与同意：记录监护人对今天某疫苗的选择（同意/不同意/到点再议），或列出记录",
        description=(
            "consent CODE --vaccine V --choice 同意|不同意|到点再议 [--paper] [--reason R]：记录今天的知情同意；"
            "consent list CODE：列出儿童的知情同意记录；consent text V：显示疫苗当前的告知书。"
        ),
    )
    p.add_argument("target", metavar="CODE|list|text", help="儿童编码，或 list / text")
    p.add_argument("arg", nargs="?", metavar="CODE|VACCINE", help="list 的儿童编码 / text 的疫苗")
    p.add_argument("--vaccine", help="疫苗（编码、简称或名称，如 HepB、乙肝）")
    p.add_argument("--choice", help="同意 / 不同意 / 到点再议（或 agree / refuse / defer）")
    p.add_argument("--paper", action="store_true", help="监护人已在纸质告知书上签字")
    p.add_argument("--strokes", type=Path, metavar="FILE.json", help="屏幕签名的笔画（JSON）")
    p.add_argument("--reason", help="不同意的原因")
    p.add_argument("--dose", type=int, help="剂次（默认：今日接种安排中的剂次，否则按应种计算）")
    p.add_argument("--expected-version", type=int, metavar="N", help="更改已有记录时，所见的版本号")
    p.add_argument("--date", type=date_arg, metavar="YYYY-MM-DD", help="list：只列这一天")
    p.add_argument("--desk", help="工作台名称")
    p.add_argument("--user", default=os.environ.get("EPIMANAGER_USER"), help="操作员（默认：环境变量 EPIMANAGER_USER）")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.set_defaults(handler=run)


def _strokes(path: Path) -> list[list[tuple[float, float, float]]]:
    from epimanager.errors import ValidationError

    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
        return [[(float(x), float(y), float(pr)) for x, y, pr in stroke] for stroke in data]
    except (OSError, UnicodeDecodeError, ValueError, TypeError) as exc:
        raise ValidationError(f"签名笔画文件 {path} 读不出（应为 [[[x, y, 压力], …], …] 的 JSON）：{exc}") from None


def run(args: argparse.Namespace) -> int:
    from epimanager.errors import ValidationError
    from epimanager.services import consent
    from epimanager.services.consent_texts import text_for

    if args.target == "text":
        text = text_for(args.arg or args.vaccine or "")
        if args.json:
            sections = [{"heading": h, "text": t} for h, t in text.sections]
            print_json({"key": text.key, "version": text.version, "sha256": text.sha256, "generic": text.generic,
                        "title": text.title, "sections": sections})  # fmt: skip
        else:
            print(f"{text.body}\n（第 {text.version} 版{'，通用告知书' if text.generic else ''}）")
        return 0
    db = open_database(args)
    try:
        if args.target == "list":
            if not args.arg:
                raise ValidationError("consent list 需要儿童编码")
            rows = consent.consents_of(db, args.arg, args.date)
        else:
            if args.arg:
                raise ValidationError(f"多余的参数“{args.arg}”")
            if not args.vaccine or not args.choice:
                raise ValidationError("请给出 --vaccine 和 --choice（同意 / 不同意 / 到点再议）")
            rows = [
                consent.record_consent(
                    db, args.target, args.vaccine, args.choice, paper=args.paper,
                    strokes=_strokes(args.strokes) if args.strokes else (), reason=args.reason,
                    dose_number=args.dose, expected_version=args.expected_version, desk=args.desk, user=args.user,
                )
            ]  # fmt: skip
    finally:
        db.close()
    if args.json:
        print_json([r.to_json() for r in rows] if args.target == "list" else rows[0].to_json())
        return 0
    for r in rows:
        dose = f"第{r.dose_number}剂" if r.dose_number else ""
        reason = f"  原因：{r.reason}" if r.reason else ""
        print(f"{r.day.isoformat()}  {r.vaccine_name} {dose}  {r.status}{reason}  告知书 {r.text_version} 版  "
              f"第 {r.version} 版  {r.operator or ''}@{r.desk or ''}")  # fmt: skip
    return 0
