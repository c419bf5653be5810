"""Passwords and passphrases for the CLI: from an environment variable, else a prompt.

Nothing here echoes or prints a secret.  Without a terminal (CI, cron) the
environment variable is the only source; a missing one is a clear error.
"""

from __future__ import annotations

import getpass
import os
import sys

from epimanager.errors import EpiError, PermissionDenied, ValidationError

PASSWORD_ENV = "EPIMANAGER_PASSWORD"
NEW_PASSWORD_ENV = "EPIMANAGER_NEW_PASSWORD"
USER_ENV = "EPIMANAGER_USER"
BACKUP_PASSPHRASE_ENV = "EPIMANAGER_BACKUP_PASSPHRASE"


def interactive() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def secret(env: str, prompt: str, *, confirm: bool = False) -> str:
    """The value of ``env``, else ask (twice with ``confirm``) on a terminal."""
    value = os.environ.get(env)
    if value:
        return value
    if not interactive():
        raise EpiError(f"{prompt.rstrip('：:')}未提供：请在终端中运行，或设置环境变量 {env}")
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("再输入一次：") != first:
        raise ValidationError("两次输入不一致")
    if not first:
        raise ValidationError(f"{prompt.rstrip('：:')}不能为空")
    return first


def username(given: str | None) -> str:
    """``--user``, else ``EPIMANAGER_USER``, else ask on a terminal."""
    name = given or os.environ.get(USER_ENV)
    if name:
        return name
    if not interactive():
        raise PermissionDenied(f"此数据库已启用用户登录：请用 --user 用户名 指定用户（密码用环境变量 {PASSWORD_ENV}）")
    return input("用户名：").strip()
