"""``epimanager export children``: all children, import-compatible."""

from __future__ import annotations

import argparse
import csv
import json
import sys

from epimanager.cli.common import open_database


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="导出数据", description="导出数据（与导入格式相同，可重新导入）。")
    esub = p.add_subparsers(dest="what", required=True, metavar="WHAT")
    c = esub.add_parser("children", help="导出全部儿童")
    fmt = c.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="JSON（默认）")
    fmt.add_argument("--csv", action="store_true", help="CSV（UTF-8）")
    c.set_defaults(handler=run_children)
    fh = esub.add_parser("fhir", help="一个儿童的 FHIR R4 Bundle（Patient + Immunization，JSON）")
    fh.add_argument("--child", required=True, metavar="CODE", help="18位儿童编码")
    fh.set_defaults(handler=run_interop, fmt="fhir")
    hl = esub.add_parser("hl7", help="一个儿童的 HL7 v2.5.1 VXU^V04 消息")
    hl.add_argument("--child", required=True, metavar="CODE", help="18位儿童编码")
    hl.set_defaults(handler=run_interop, fmt="hl7")


def run_children(args: argparse.Namespace) -> int:
    from epimanager.services.children import CHILD_COLUMNS, CHILD_OPTIONAL_COLUMNS, export_children

    db = open_database(args)
    try:
        rows = export_children(db)
        if args.csv:
            w = csv.DictWriter(sys.stdout, fieldnames=list(CHILD_COLUMNS + CHILD_OPTIONAL_COLUMNS))
            w.writeheader()
            for r in rows:
                w.writerow(r)
        else:
            sys.stdout.write("[")
            for i, r in enumerate(rows):
                sys.stdout.write(("," if i else "") + "\n  " + json.dumps(r, ensure_ascii=False))
            sys.stdout.write("\n]\n")
    finally:
        db.close()
    return 0


def run_interop(args: argparse.Namespace) -> int:
    from epimanager.services.interop import export_fhir, export_hl7

    db = open_database(args)
    try:
        if args.fmt == "fhir":
            sys.stdout.write(json.dumps(export_fhir(db, args.child), ensure_ascii=False, indent=2) + "\n")
        else:
            sys.stdout.write(export_hl7(db, args.child).replace("\r", "\n"))
    finally:
        db.close()
    return 0
