"""``epimanager clean``: 数据清理 — duplicates, merge / undo, data-quality report."""

from __future__ import annotations

import argparse
import os

from epimanager.cli.common import open_database, print_json


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``clean`` subcommand."""
    p = sub.add_parser("clean", help="数据清理：重复个案、合并/撤销合并、数据质量报告")
    cs = p.add_subparsers(dest="clean_command", metavar="ACTION", required=True)
    user = os.environ.get("EPIMANAGER_USER")

    d = cs.add_parser("duplicates", help="查找疑似重复个案")
    d.add_argument("--json", action="store_true", help="以 JSON 输出")
    d.set_defaults(handler=run_duplicates)

    m = cs.add_parser("merge", help="把重复个案 DUP 合并到 KEEP（接种记录、在册变更随之移入；可撤销）")
    m.add_argument("keep", metavar="KEEP", help="保留的儿童编码")
    m.add_argument("dup", metavar="DUP", help="重复的儿童编码（合并后删除）")
    m.add_argument("--reason", help="合并原因")
    m.add_argument("--user", default=user, help="操作员（默认：环境变量 EPIMANAGER_USER）")
    m.add_argument("--json", action="store_true", help="以 JSON 输出")
    m.set_defaults(handler=run_merge)

    u = cs.add_parser("undo-merge", help="撤销一次合并")
    u.add_argument("merge_id", metavar="ID", type=int, help="合并编号（merge 的输出或 clean merges）")
    u.add_argument("--user", default=user, help="操作员")
    u.set_defaults(handler=run_undo)

    ls = cs.add_parser("merges", help="列出合并记录")
    ls.add_argument("--json", action="store_true", help="以 JSON 输出")
    ls.set_defaults(handler=run_merges)

    q = cs.add_parser("quality", help="数据质量报告")
    q.add_argument("--limit", type=int, default=100, help="每类最多列出的问题数（默认 100；0 = 只统计）")
    q.add_argument("--json", action="store_true", help="以 JSON 输出")
    q.set_defaults(handler=run_quality)


def run_duplicates(args: argparse.Namespace) -> int:
    from epimanager.services.cleaning.duplicates import find_duplicates

    db = open_database(args)
    try:
        pairs = find_duplicates(db)
    finally:
        db.close()
    if args.json:
        print_json({"count": len(pairs), "pairs": [p.to_json() for p in pairs]})
        return 0
    print(f"疑似重复个案：{len(pairs)} 对")
    for p in pairs:
        k, d = p.keep, p.dup
        print(f"[{p.score}] {p.reason}：保留 {k.code} {k.name}（{k.doses}剂） ← 重复 {d.code} {d.name}（{d.doses}剂）")
    return 0


def run_merge(args: argparse.Namespace) -> int:
    from epimanager.services.cleaning.merge import merge_children

    db = open_database(args)
    try:
        res = merge_children(db, args.keep, args.dup, user=args.user, reason=args.reason)
    finally:
        db.close()
    if args.json:
        print_json(res.to_json())
    else:
        print(
            f"合并 #{res.id}：{res.dup_code} 已并入 {res.kept_code}，移入接种记录 {res.moved_doses} 条"
            f"（撤销：epimanager clean undo-merge {res.id}）"
        )
    return 0


def run_undo(args: argparse.Namespace) -> int:
    from epimanager.services.cleaning.merge import undo_merge

    db = open_database(args)
    try:
        res = undo_merge(db, args.merge_id, user=args.user)
    finally:
        db.close()
    print(f"已撤销合并 #{res.id}：{res.dup_code} 已恢复，移回接种记录 {res.moved_doses} 条")
    return 0


def run_merges(args: argparse.Namespace) -> int:
    from epimanager.services.cleaning.merge import list_merges

    db = open_database(args)
    try:
        merges = list_merges(db)
    finally:
        db.close()
    if args.json:
        print_json(
            [
                {
                    "id": m.id,
                    "kept_code": m.kept_code,
                    "dup_code": m.dup_code,
                    "at": m.at.isoformat(timespec="seconds"),
                    "user": m.user,
                    "undone": m.undone_at is not None,
                }
                for m in merges
            ]
        )
        return 0
    for m in merges:
        state = "（已撤销）" if m.undone_at else ""
        print(f"#{m.id}  {m.at:%Y-%m-%d %H:%M}  {m.dup_code} → {m.kept_code}  {m.user or '-'}{state}")
    return 0


def run_quality(args: argparse.Namespace) -> int:
    from epimanager.domain.registry import QUALITY_KINDS
    from epimanager.services.cleaning.quality import quality_report

    db = open_database(args)
    try:
        rep = quality_report(db, limit_per_kind=max(0, args.limit))
    finally:
        db.close()
    if args.json:
        print_json(rep.to_json())
        return 0
    print(f"数据质量报告：检查个案 {rep.checked} 人")
    for kind, label in QUALITY_KINDS.items():
        print(f"  {label}：{rep.counts[kind]}")
    print(f"  本单位接种无追溯码：{rep.no_trace_code}")
    print(f"  追溯码超量使用（一码多用）：{rep.overused}")
    for i in rep.issues:
        print(f"{i.label}\t{i.child_code}\t{i.name}\t{i.detail}")
    for r in rep.traceability:
        if r.no_trace_code or r.overused:
            print(f"追溯码\t{r.month}\t{r.vaccine_abbr}\t接种 {r.doses}\t无追溯码 {r.no_trace_code}\t超量 {r.overused}")
    return 0
