"""``epimanager backup`` and ``epimanager restore``."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    b = sub.add_parser("backup", help="备份数据库", description="在线备份数据库（校验后压缩保存，保留最近 N 份）。")
    b.add_argument("--to", type=Path, metavar="DIR", help="备份目录（默认数据库旁的 backups/）")
    b.add_argument("--keep", type=int, default=10, metavar="N", help="保留最近 N 份（默认 10）")
    b.add_argument(
        "--encrypt",
        action="store_true",
        help="用密码加密备份（.epibak.enc；密码：环境变量 EPIMANAGER_BACKUP_PASSPHRASE 或提示输入两次）",
    )
    b.set_defaults(handler=run_backup)
    r = sub.add_parser(
        "restore",
        help="从备份恢复数据库",
        description="校验备份后恢复；恢复前当前数据库另存一份安全副本。数据库正被其他窗口或命令使用时拒绝恢复。"
        "恢复后的用户账号就是备份中的用户账号。",
    )
    r.add_argument("file", type=Path, metavar="FILE")
    r.add_argument("--other-unit", action="store_true", help="确认恢复其他接种单位的备份")
    r.add_argument(
        "--no-users",
        action="store_true",
        help="确认恢复没有任何用户账号的备份（恢复后不再需要登录；须系统管理员；用户随备份恢复）",
    )
    r.epilog = "加密的备份需要备份密码：环境变量 EPIMANAGER_BACKUP_PASSPHRASE，或提示输入；密码错误时数据库不变。"
    r.set_defaults(handler=run_restore)


def run_backup(args: argparse.Namespace) -> int:
    from epimanager.cli.common import open_database
    from epimanager.services.backup import backup

    passphrase = None
    if args.encrypt:
        from epimanager.cli.secrets import BACKUP_PASSPHRASE_ENV, secret

        passphrase = secret(BACKUP_PASSPHRASE_ENV, "备份密码：", confirm=True)
    db = open_database(args)
    try:
        info = backup(db, args.to, keep=args.keep, passphrase=passphrase)
    finally:
        db.close()
    note = "，已加密" if passphrase else ""
    print(f"备份完成：{info.path}（{info.size / 1e6:.1f} MB，已校验{note}）")
    return 0


def run_restore(args: argparse.Namespace) -> int:
    from epimanager.cli.common import open_database
    from epimanager.services import permissions
    from epimanager.services.backup import is_encrypted, restore

    db = open_database(args)
    permissions.check(db, "restore_backup")  # refuse before asking for the passphrase
    passphrase = None
    if is_encrypted(args.file):
        from epimanager.cli.secrets import BACKUP_PASSPHRASE_ENV, secret

        passphrase = secret(BACKUP_PASSPHRASE_ENV, "备份密码：")
    safety = restore(
        db, args.file, allow_other_unit=args.other_unit, allow_no_users=args.no_users, passphrase=passphrase
    )
    print(f"已从 {args.file} 恢复数据库；原数据库的安全副本：{safety}")
    return 0
