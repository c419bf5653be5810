"""``epimanager report 6-1|6-2|consumption|cases --month YYYY-MM``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report",
        help="月报：表6-1、表6-2、疫苗消耗日志、个案统计分析月报",
        description=(
            "生成月报（生成记录会被保存）。用 --out 写入文件即为已导出；F7 工作提醒在导出、打印"
            "或 --mark-done 标记之后才把该月报表记为已完成。"
        ),
    )
    p.add_argument("kind", choices=("6-1", "6-2", "consumption", "cases"), help="报表种类")
    p.add_argument("--month", required=True, metavar="YYYY-MM", help="统计月份")
    p.add_argument("--residence", metavar="本地|流动|临时|合计", help="表6-1 的居住属性筛选（默认合计）")
    p.add_argument("--format", choices=("json", "csv", "xlsx", "text"), default="text", help="输出格式（默认表格文本）")
    p.add_argument("--force", action="store_true", help="--out 的文件已存在时覆盖")
    p.add_argument("--out", type=Path, metavar="FILE", help="写入文件（xlsx 必须指定）")
    p.add_argument("--user", metavar="NAME", help="生成人")
    p.add_argument("--mark-done", action="store_true", help="把该月此报表标记为已完成（已用其他方式上报）")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from epimanager.cli.common import open_database
    from epimanager.errors import ValidationError
    from epimanager.services.reports.common import parse_residence
    from epimanager.services.reports.runs import generate

    if args.format == "xlsx" and not args.out:
        raise ValidationError("xlsx 格式需要用 --out 指定文件")
    residence = parse_residence(args.residence)
    db = open_database(args)
    try:
        report = generate(db, args.kind, args.month, residence=residence, user=args.user)
        _output(report, args)
        # written to a file = exported: the month's duty is done (F7); a preview on screen is not
        if args.out or args.mark_done:
            from epimanager.services.reports.runs import mark_done

            how = "exported" if args.out else "marked"
            mark_done(db, args.kind, args.month, how, user=args.user, target=str(args.out) if args.out else None)
    finally:
        db.close()
    return 0


def _output(report: dict[str, object], args: argparse.Namespace) -> None:
    from epimanager.cli.common import print_json
    from epimanager.services.reports.export import table, title_line, to_csv, to_xlsx

    if args.format == "xlsx":
        to_xlsx(report, args.out)
        print(f"已写入 {args.out}")
        return
    if args.format == "json":
        if args.out:
            import json

            args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
        else:
            print_json(report)
        return
    if args.format == "csv":
        text = to_csv(report)
        if args.out:
            args.out.write_text(text, encoding="utf-8-sig")
        else:
            sys.stdout.write(text)
        return
    header, rows = table(report)
    print(title_line(report))
    print("\t".join(header))
    for r in rows:
        print("\t".join(str(x) for x in r))
