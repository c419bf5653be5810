"""Pick a Simplified-Chinese UI font explicitly.

Without it Qt may fall back to a Japanese CJK face for Han characters
(shared/ECOSYSTEM.md §3).
"""

from __future__ import annotations

from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

PREFERRED = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "PingFang SC",
)


def apply_cjk_font(app: QApplication, point_size: int = 10) -> str | None:
    """Set the application font to the first installed preferred family."""
    families = set(QFontDatabase.families())
    for family in PREFERRED:
        if family in families:
            font = QFont(family, point_size)
            app.setFont(font)
            return family
    font = app.font()
    font.setFamilies([*PREFERRED, *font.families()])
    app.setFont(font)
    return None
