"""``epimanager backup`` and ``epimanager restore``."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    b = sub.add_parser("backup", help="备份数据库", description="在线备份数据库（校验后压缩保存，保留最近 N 份）。")
    b.add_argument("--to", type=Path, metavar="DIR", help="备份目录（默认数据库旁的 backups/）")
    b.add_argument("--keep", type=int, default=10, metavar="N", help="保留最近 N 份（默认 10）")
    b.set_defaults(handler=run_backup)
    r = sub.add_parser(
        "restore",
        help="从备份恢复数据库",
        description="校验备份后恢复；恢复前当前数据库另存一份安全副本。请先关闭图形界面。",
    )
    r.add_argument("file", type=Path, metavar="FILE")
    r.add_argument("--other-unit", action="store_true", help="确认恢复其他接种单位的备份")
    r.set_defaults(handler=run_restore)


def run_backup(args: argparse.Namespace) -> int:
    from epimanager.cli.common import open_database
    from epimanager.services.backup import backup

    db = open_database(args)
    try:
        info = backup(db, args.to, keep=args.keep)
    finally:
        db.close()
    print(f"备份完成：{info.path}（{info.size / 1e6:.1f} MB，已校验）")
    return 0


def run_restore(args: argparse.Namespace) -> int:
    from epimanager.cli.common import open_database
    from epimanager.services.backup import restore

    db = open_database(args)
    safety = restore(db, args.file, allow_other_unit=args.other_unit)
    print(f"已从 {args.file} 恢复数据库；原数据库的安全副本：{safety}")
    return 0
