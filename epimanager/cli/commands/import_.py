"""``epimanager import children|doses FILE``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from epimanager.cli.common import open_database, print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "import",
        help="从 CSV/JSON 导入儿童或接种记录",
        description="导入 CSV（UTF-8 或 GB18030，带表头）或 JSON 文件。先检查整个文件（编码、引号、字段长度），"
        "有问题则不导入任何数据；然后逐块（每块 500 行）检查并提交：错误行按文件行号列出且不导入。"
        "中途停止（断电、被结束、数据库忙）后再次运行同一命令，会跳过已导入的行继续。",
    )
    p.add_argument("kind", choices=("children", "doses"), help="children=儿童，doses=接种记录")
    p.add_argument("file", type=Path, metavar="FILE")
    p.add_argument("--dry-run", action="store_true", help="只检查，不写入")
    p.add_argument(
        "--confirm-invalid",
        action="store_true",
        help="接种记录：免疫程序评价为无效的剂次（间短、未到月龄……）也导入；不加时这些行列为错误、不导入",
    )
    p.add_argument(
        "--confirm-duplicate",
        action="store_true",
        help="接种记录：儿童已有的剂次（同一系列同一剂次的有效记录，或同一疫苗同一天）作为更正/补录也导入；"
        "不加时这些行列为错误、不导入",
    )
    p.add_argument("--json", action="store_true", help="以 JSON 输出结果")
    p.add_argument(
        "--progress-every",
        type=int,
        default=10000,
        metavar="N",
        help="每处理 N 行在标准错误输出一行进度（0 = 不显示；默认 10000）",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from epimanager.services.importer import import_children, import_doses

    every = max(0, args.progress_every)
    shown = [0]

    def progress(done: int, total: int) -> None:
        if every and (done - shown[0] >= every or done == total) and done != shown[0]:
            shown[0] = done
            print(f"已处理 {done} / {total} 行", file=sys.stderr, flush=True)

    db = open_database(args)
    try:
        if args.kind == "children":
            report = import_children(db, args.file, dry_run=args.dry_run, progress=progress)
        else:
            report = import_doses(
                db,
                args.file,
                dry_run=args.dry_run,
                confirm_invalid=args.confirm_invalid,
                confirm_duplicate=args.confirm_duplicate,
                progress=progress,
            )
    finally:
        db.close()
    if args.json:
        print_json(
            {
                "kind": report.kind,
                "total": report.total,
                "imported": report.imported,
                "dry_run": report.dry_run,
                "errors": [{"line": e.line, "reason": e.reason} for e in report.errors],
                "error_count": report.bad_rows,
                "skipped": report.skipped,
                "confirmed_invalid": [{"line": e.line, "reason": e.reason} for e in report.confirmed_invalid],
                "confirmed_duplicate": [{"line": e.line, "reason": e.reason} for e in report.confirmed_duplicate],
            }
        )
    else:
        for e in report.errors:
            print(f"第 {e.line} 行：{e.reason}", file=sys.stderr)
        for e in (*report.confirmed_invalid, *report.confirmed_duplicate):
            print(f"第 {e.line} 行：{e.reason}", file=sys.stderr)
        print(report.summary())
    return 1 if report.bad_rows else 0
