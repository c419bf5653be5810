"""``epimanager user``: users and roles (系统管理员 manages users; everyone changes their own password)."""

from __future__ import annotations

import argparse

ROLE_CHOICES = ("系统管理员", "业务管理员", "普通用户")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``user`` subcommand."""
    p = sub.add_parser(
        "user",
        help="用户与角色：添加、列出、改密码、停用、解锁",
        description=(
            "数据库还没有用户时，第一个用户必须是系统管理员（epimanager user add 名字 --role 系统管理员）；"
            "之后须以系统管理员登录（全局 --user，密码由 EPIMANAGER_PASSWORD 或提示输入）。"
            "新密码由环境变量 EPIMANAGER_NEW_PASSWORD 提供，或在终端中提示输入两次。"
        ),
    )
    us = p.add_subparsers(dest="user_command", metavar="ACTION", required=True)

    a = us.add_parser("add", help="添加用户")
    a.add_argument("name", metavar="NAME")
    a.add_argument("--role", required=True, choices=ROLE_CHOICES)
    a.add_argument("--display-name", metavar="姓名", help="真实姓名（接种记录和打印中的接种护士）")
    a.set_defaults(handler=run_add)

    dn = us.add_parser(
        "display-name", help="修改用户的真实姓名（接种护士）", description="系统管理员可改任何人，用户可改自己的。"
    )
    dn.add_argument("name", metavar="NAME")
    dn.add_argument("display_name", metavar="姓名", help="真实姓名；空字符串表示清除")
    dn.set_defaults(handler=run_display_name)

    ls = us.add_parser("list", help="列出用户")
    ls.add_argument("--json", action="store_true", help="以 JSON 输出")
    ls.set_defaults(handler=run_list)

    pw = us.add_parser(
        "passwd",
        help="修改密码",
        description="不带 NAME：修改登录用户自己的密码（需当前密码）；带 NAME：系统管理员重设该用户的密码。",
    )
    pw.add_argument("name", metavar="NAME", nargs="?")
    pw.set_defaults(handler=run_passwd)

    for action, text, handler in (
        ("disable", "停用用户", run_disable),
        ("enable", "重新启用用户", run_enable),
        ("unlock", "解除锁定（多次密码错误后）", run_unlock),
    ):
        c = us.add_parser(action, help=text)
        c.add_argument("name", metavar="NAME")
        c.set_defaults(handler=handler)

    r = us.add_parser("role", help="修改用户角色")
    r.add_argument("name", metavar="NAME")
    r.add_argument("role", choices=ROLE_CHOICES)
    r.set_defaults(handler=run_role)


def run_add(args: argparse.Namespace) -> int:
    from epimanager.cli.common import open_database
    from epimanager.cli.secrets import NEW_PASSWORD_ENV, secret
    from epimanager.services.users import add_user

    password = secret(NEW_PASSWORD_ENV, f"用户 {args.name} 的密码：", confirm=True)
    db = open_database(args)
    try:
        rec = add_user(db, args.name, password, args.role, display_name=args.display_name)
    finally:
        db.close()
    real = f"，姓名 {rec.display_name}" if rec.display_name else ""
    print(f"已添加用户 {rec.name}（{rec.role}{real}）")
    return 0


def run_display_name(args: argparse.Namespace) -> int:
    from epimanager.cli.common import open_database
    from epimanager.services.users import set_display_name

    db = open_database(args)
    try:
        rec = set_display_name(db, args.name, args.display_name)
    finally:
        db.close()
    print(f"用户 {rec.name} 的姓名已改为 {rec.display_name}" if rec.display_name else f"已清除用户 {rec.name} 的姓名")
    return 0


def run_list(args: argparse.Namespace) -> int:
    from epimanager.cli.common import open_database, print_json
    from epimanager.services.users import list_users

    db = open_database(args)
    try:
        rows = list_users(db)
    finally:
        db.close()
    if args.json:
        print_json([r.to_json() for r in rows])
        return 0
    for r in rows:
        state = "启用" if r.active else "停用"
        if r.locked_until is not None:
            state += f"，锁定至 {r.locked_until:%H:%M}"
        last = f"{r.last_login:%Y-%m-%d %H:%M}" if r.last_login else "从未登录"
        real = f"\t姓名：{r.display_name}" if r.display_name else ""
        print(f"{r.name}\t{r.role}\t{state}\t最近登录：{last}{real}")
    return 0


def run_passwd(args: argparse.Namespace) -> int:
    from epimanager.cli.common import open_database
    from epimanager.cli.secrets import NEW_PASSWORD_ENV, PASSWORD_ENV, secret, username
    from epimanager.services import permissions, users

    db = open_database(args)
    try:
        me = permissions.operator(db, args.login_user)
        target = args.name or me or username(None)
        if args.name and args.name != me:
            new = secret(NEW_PASSWORD_ENV, f"用户 {target} 的新密码：", confirm=True)
            users.reset_password(db, target, new)
        else:
            old = secret(PASSWORD_ENV, "当前密码：")
            new = secret(NEW_PASSWORD_ENV, "新密码：", confirm=True)
            users.change_password(db, target, old, new)
    finally:
        db.close()
    print(f"用户 {target} 的密码已修改")
    return 0


def _simple(args: argparse.Namespace, what: str) -> int:
    from epimanager.cli.common import open_database
    from epimanager.services import users

    db = open_database(args)
    try:
        if what == "disable":
            rec = users.set_active(db, args.name, False)
            print(f"已停用用户 {rec.name}")
        elif what == "enable":
            rec = users.set_active(db, args.name, True)
            print(f"已启用用户 {rec.name}")
        elif what == "unlock":
            rec = users.unlock(db, args.name)
            print(f"已解除用户 {rec.name} 的锁定")
        else:
            rec = users.set_role(db, args.name, args.role)
            print(f"用户 {rec.name} 的角色已改为 {rec.role}")
    finally:
        db.close()
    return 0


def run_disable(args: argparse.Namespace) -> int:
    return _simple(args, "disable")


def run_enable(args: argparse.Namespace) -> int:
    return _simple(args, "enable")


def run_unlock(args: argparse.Namespace) -> int:
    return _simple(args, "unlock")


def run_role(args: argparse.Namespace) -> int:
    return _simple(args, "role")
