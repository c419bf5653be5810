"""Where a refusal is put right, in the GUI's words: its menus and check boxes (an error's ``fix``
key, see :mod:`epimanager.errors`), never a command line."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from epimanager.errors import EpiError
from epimanager.ui.i18n import QT_TRANSLATE_NOOP

FIXES: dict[str, str] = {
    "platform": QT_TRANSLATE_NOOP("Fixes", "请在 系统 → 配置工具 的“文件夹与平台”中设置平台地址和令牌"),
    "committee": QT_TRANSLATE_NOOP("Fixes", "请在 系统 → 配置工具 中添加区域划分"),
    "other_unit": QT_TRANSLATE_NOOP("Fixes", "确认无误请勾选“这是其他接种单位的备份，我确认要恢复”"),
    "allow_unlisted": QT_TRANSLATE_NOOP("Fixes", "确认无误后勾选“允许编码表中没有的编码”"),
}


def worded(exc: EpiError) -> str:
    """The message with the place in the GUI that puts it right."""
    hint = FIXES.get(exc.fix or "")
    return f"{exc.message}；{QCoreApplication.translate('Fixes', hint)}" if hint else exc.message
