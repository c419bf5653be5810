"""``epimanager audit verify``: check the hash chain of the audit log."""

from __future__ import annotations

import argparse

from epimanager.cli.common import open_database, print_json


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``audit`` subcommand."""
    p = sub.add_parser("audit", help="审计日志（个案变更记录）检查")
    acts = p.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    v = acts.add_parser(
        "verify",
        help="校验审计日志的哈希链（发现被修改、插入或删除的记录）",
        description="逐条重新计算哈希链。完好时退出码 0；发现问题时给出第一条有问题的记录编号，退出码 6。",
    )
    v.add_argument("--json", action="store_true", help="以 JSON 输出")
    v.set_defaults(handler=run_verify)


#: Exit code when the chain is broken.
BROKEN = 6


def run_verify(args: argparse.Namespace) -> int:
    from epimanager.services.audit import verify

    db = open_database(args)
    try:
        report = verify(db)
    finally:
        db.close()
    if args.json:
        print_json(report.to_json())
    elif report.ok:
        print(f"审计日志完好：共 {report.checked} 条，哈希链一致")
    else:
        print(f"审计日志被篡改：第 {report.broken_id} 号记录 — {report.problem}（其前 {report.checked} 条完好）")
    return 0 if report.ok else BROKEN
