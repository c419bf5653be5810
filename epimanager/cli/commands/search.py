"""``epimanager search``: the F3 quick search from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from epimanager.cli.common import print_json
from epimanager.domain.search.query import MAX_LIMIT
from epimanager.errors import EpiError

if TYPE_CHECKING:
    from epimanager.services.search import SearchResult


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``search`` subcommand."""
    p = sub.add_parser(
        "search",
        help="个案快速查询（拼音、首字母、汉字、出生日期、编码）",
        description=(
            "与 F3 快速查询相同：可输入全拼（zhanghao、zhang hao）、首字母（lpp）、"
            "汉字（张浩）、出生日期（2013、2013-01、20130105）、儿童编码、身份证号、"
            "出生证号、电话，或母亲/父亲姓名。在册儿童排在前面。"
        ),
    )
    p.add_argument("query", nargs="?", metavar="QUERY", help="查询内容")
    p.add_argument("--limit", type=int, default=50, metavar="N", help=f"最多显示条数（默认 50，最多 {MAX_LIMIT}）")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.add_argument(
        "--stdin",
        action="store_true",
        help='从标准输入逐行读取查询，每个查询输出一行 JSON：{"query": …, "results": […]}',
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run one query, or one per input line with ``--stdin``."""
    from epimanager.paths import resolve_db_path
    from epimanager.services.quick_read import reading
    from epimanager.services.search import search_rows

    if not 1 <= args.limit <= MAX_LIMIT:
        raise EpiError(f"--limit 应为 1 到 {MAX_LIMIT} 之间的整数")
    if args.stdin and args.query:
        raise EpiError("使用 --stdin 时不要再给出查询内容")
    if not args.stdin and not (args.query and args.query.strip()):
        raise EpiError("请输入查询内容，例如：epimanager search zhanghao；或使用 --stdin 批量查询")
    with reading(resolve_db_path(args.db)) as db:
        if args.stdin:
            # Bytes in and out: UTF-8 whatever the console's locale says.
            out = sys.stdout.buffer
            for raw in sys.stdin.buffer:
                q = raw.decode("utf-8", errors="replace").lstrip("\ufeff").rstrip("\r\n")
                result = search_rows(db, q, limit=args.limit)
                line = {"query": q, "results": result.to_json(), "more": result.more}
                out.write(json.dumps(line, ensure_ascii=False).encode("utf-8") + b"\n")
                out.flush()
            return 0
        result = search_rows(db, args.query, limit=args.limit)
    if args.json:
        print_json(result.to_json())
    else:
        _print_table(result)
    if result.more:
        print(f"结果多于 {args.limit} 条，只显示前 {args.limit} 条；请输入更多内容缩小范围。", file=sys.stderr)
    return 0


def _print_table(result: SearchResult) -> None:
    if not result.rows:
        print("没有找到符合条件的儿童。")
        return
    print("姓名\t性别\t出生日期\t母亲\t在册情况\t区域划分\t儿童编码\t匹配")
    for r in result.rows:
        print(
            f"{r.name}\t{r.sex_label}\t{r.birth_date.isoformat()}\t{r.mother_name or ''}\t"
            f"{r.status_label}\t{r.committee or ''}\t{r.child_code}\t{r.matched}"
        )
