"""``epimanager query``: 接种明细 / 管理门诊 / 免疫空白 / 个案变更 queries, printed or exported."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from epimanager.cli.common import date_arg, open_database, print_json


def _output(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=("text", "json", "csv", "xlsx"), default=None, help="输出格式（默认 text）")
    p.add_argument("--force", action="store_true", help="--out 的文件已存在时覆盖")
    p.add_argument("--out", type=Path, metavar="FILE", help="写入文件（csv/xlsx；不给 --format 时按扩展名）")
    p.add_argument("--json", action="store_true", help="同 --format json")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``query`` subcommand."""
    p = sub.add_parser("query", help="查询：接种明细、管理门诊、免疫空白、个案变更（可导出 csv/xlsx）")
    qs = p.add_subparsers(dest="query_command", metavar="QUERY", required=True)

    d = qs.add_parser("doses", help="接种明细查询")
    d.add_argument("--from", dest="start", type=date_arg, required=True, metavar="YYYY-MM-DD")
    d.add_argument("--to", dest="end", type=date_arg, required=True, metavar="YYYY-MM-DD")
    d.add_argument("--vaccine", help="疫苗（HepB、乙肝、0201 …）")
    d.add_argument("--batch", help="批号")
    d.add_argument("--nurse", help="接种护士")
    d.add_argument("--attribute", help="接种属性：常规/加强/强化/应急/防病需要/补种")
    d.add_argument("--place", choices=("own", "other"), help="own 本单位接种；other 外单位或外地")
    d.add_argument("--committee", metavar="NAME", help="区域划分")
    _output(d)
    d.set_defaults(handler=run, build=_doses)

    m = qs.add_parser("managed", help="管理门诊查询")
    m.add_argument("--unit", metavar="CODE", help="管理单位编码")
    m.add_argument("--committee", metavar="NAME", help="区域划分")
    m.add_argument("--status", action="append", metavar="S", help="在册情况（可重复）；--in-register 为所有在册")
    m.add_argument("--in-register", action="store_true", help="只列本单位管理的在册儿童（本地/入学/入托/外地转来）")
    m.add_argument("--born-from", type=date_arg, metavar="YYYY-MM-DD")
    m.add_argument("--born-to", type=date_arg, metavar="YYYY-MM-DD")
    _output(m)
    m.set_defaults(handler=run, build=_managed)

    g = qs.add_parser("gap", help="免疫空白查询（通知单，含联系电话）")
    g.add_argument("--on", type=date_arg, required=True, metavar="YYYY-MM-DD", help="查询日期（接种日）")
    g.add_argument("--series", metavar="X", help="疫苗或系列，如 MMR、HepB、麻腮风")
    g.add_argument("--committee", metavar="NAME", help="区域划分")
    _output(g)
    g.set_defaults(handler=run, build=_gap)

    c = qs.add_parser("changes", help="个案变更查询（审计日志）")
    c.add_argument("--from", dest="start", type=date_arg, metavar="YYYY-MM-DD")
    c.add_argument("--to", dest="end", type=date_arg, metavar="YYYY-MM-DD")
    c.add_argument("--kind", help="基本资料 / 接种剂次 / 删除个案 / 合并个案（或 basic/dose/delete/merge）")
    c.add_argument("--user", help="操作员")
    c.add_argument("--child", metavar="CODE", help="儿童编码")
    _output(c)
    c.set_defaults(handler=run, build=_changes)


def _doses(a: argparse.Namespace) -> Any:
    from epimanager.services.queries.doses import DoseQuery

    return DoseQuery(a.start, a.end, a.vaccine, a.batch, a.nurse, a.attribute, a.place, a.committee)


def _managed(a: argparse.Namespace) -> Any:
    from epimanager.services.queries.managed import MANAGED, ManagedQuery

    statuses: tuple[Any, ...] | None = tuple(a.status) if a.status else None
    if a.in_register:
        statuses = (*(statuses or ()), *MANAGED)
    return ManagedQuery(a.unit, a.committee, statuses, a.born_from, a.born_to)


def _gap(a: argparse.Namespace) -> Any:
    from epimanager.services.queries.gap import GapQuery

    return GapQuery(a.on, a.series, a.committee)


def _changes(a: argparse.Namespace) -> Any:
    from epimanager.services.queries.changes import ChangeQuery

    return ChangeQuery(a.start, a.end, a.kind, a.user, a.child)


def run(args: argparse.Namespace) -> int:
    from epimanager.errors import ValidationError
    from epimanager.services.queries.common import display, iter_rows, row_json
    from epimanager.services.queries.export import export_query
    from epimanager.services.table_files import write_csv

    fmt = "json" if args.json else args.format
    if fmt is None:
        fmt = args.out.suffix.lstrip(".").lower() if args.out else "text"
    if fmt == "xlsx" and not args.out:
        raise ValidationError("导出 xlsx 需要 --out 文件名")
    query = args.build(args)
    db = open_database(args)
    try:
        if fmt in ("csv", "xlsx") and args.out:
            n = export_query(db, query, args.out, fmt)
            print(f"{query.title}：已导出 {n} 行到 {args.out}")
            return 0
        if fmt == "csv":
            import sys

            write_csv(sys.stdout, query.columns, (r.values for r in iter_rows(db, query)))
            return 0
        if fmt == "json":
            rows = [row_json(query.columns, r) for r in iter_rows(db, query)]
            print_json({"query": query.title, "count": len(rows), "rows": rows})
            return 0
        if fmt != "text":
            raise ValidationError(f"输出格式“{fmt}”无效，应为 text/json/csv/xlsx")
        n = 0
        print("\t".join(query.columns))
        for r in iter_rows(db, query):
            print("\t".join(display(v) or "-" for v in r.values))
            n += 1
        print(f"{query.title}：共 {n} 行")
        return 0
    finally:
        db.close()
