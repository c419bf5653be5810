"""Where a refused command is put right, in command-line words (an error's ``fix`` key, see
:mod:`epimanager.errors`); the GUI words the same keys as its menus and check boxes."""

from __future__ import annotations

from epimanager.errors import EpiError

FIXES: dict[str, str] = {
    "platform": "请用 epimanager sync config --url 地址 --token 令牌 设置（或本次加 --url）",
    "committee": "请用 epimanager committee add 名称 添加",
    "other_unit": "确认无误请加 --other-unit",
    "allow_unlisted": "确认无误后加 --allow-unlisted",
}


def worded(exc: EpiError) -> str:
    """The message with the command that puts it right."""
    hint = FIXES.get(exc.fix or "")
    return f"{exc.message}；{hint}" if hint else exc.message
