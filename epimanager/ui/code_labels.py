"""Code-list labels from the domain layer, marked for translation (context "Codes" / "Grid").

The domain is Qt-free, so its Chinese labels are listed here for ``pyside6-lupdate``;
the GUI translates them with ``QCoreApplication.translate("Codes", label)``.
"""

from __future__ import annotations

from epimanager.ui.i18n import QT_TRANSLATE_NOOP

CODE_LABELS = (
    QT_TRANSLATE_NOOP("Codes", "男"),
    QT_TRANSLATE_NOOP("Codes", "女"),
    QT_TRANSLATE_NOOP("Codes", "本地"),
    QT_TRANSLATE_NOOP("Codes", "流动"),
    QT_TRANSLATE_NOOP("Codes", "临时"),
    QT_TRANSLATE_NOOP("Codes", "迁出"),
    QT_TRANSLATE_NOOP("Codes", "临时外转"),
    QT_TRANSLATE_NOOP("Codes", "死亡"),
    QT_TRANSLATE_NOOP("Codes", "删除"),
    QT_TRANSLATE_NOOP("Codes", "入学"),
    QT_TRANSLATE_NOOP("Codes", "入托"),
    QT_TRANSLATE_NOOP("Codes", "异地接种"),
    QT_TRANSLATE_NOOP("Codes", "临时接种"),
    QT_TRANSLATE_NOOP("Codes", "外地转来"),
    QT_TRANSLATE_NOOP("Codes", "不详"),
    QT_TRANSLATE_NOOP("Codes", "阴性"),
    QT_TRANSLATE_NOOP("Codes", "阳性"),
    QT_TRANSLATE_NOOP("Codes", "常规"),
    QT_TRANSLATE_NOOP("Codes", "加强"),
    QT_TRANSLATE_NOOP("Codes", "强化"),
    QT_TRANSLATE_NOOP("Codes", "应急"),
    QT_TRANSLATE_NOOP("Codes", "防病需要"),
    QT_TRANSLATE_NOOP("Codes", "补种"),
)
EVALUATION_LABELS = (
    QT_TRANSLATE_NOOP("Grid", "及时"),
    QT_TRANSLATE_NOOP("Grid", "合格"),
    QT_TRANSLATE_NOOP("Grid", "超期"),
    QT_TRANSLATE_NOOP("Grid", "首针提前"),
    QT_TRANSLATE_NOOP("Grid", "未到月龄"),
    QT_TRANSLATE_NOOP("Grid", "间短"),
    QT_TRANSLATE_NOOP("Grid", "活苗间隔不足"),
    QT_TRANSLATE_NOOP("Grid", "免疫球蛋白间隔不足"),
    QT_TRANSLATE_NOOP("Grid", "超龄"),
    QT_TRANSLATE_NOOP("Grid", "多余剂次"),
    QT_TRANSLATE_NOOP("Grid", "品种不符"),
    QT_TRANSLATE_NOOP("Grid", "不适用"),
)
SITE_LABELS = (
    QT_TRANSLATE_NOOP("Codes", "左上臂"),
    QT_TRANSLATE_NOOP("Codes", "右上臂"),
    QT_TRANSLATE_NOOP("Codes", "左大腿"),
    QT_TRANSLATE_NOOP("Codes", "右大腿"),
    QT_TRANSLATE_NOOP("Codes", "口服"),
    QT_TRANSLATE_NOOP("Codes", "臀部"),
    QT_TRANSLATE_NOOP("Codes", "肌内注射"),
    QT_TRANSLATE_NOOP("Codes", "皮下注射"),
    QT_TRANSLATE_NOOP("Codes", "皮内注射"),
)


def tr_code(label: str) -> str:
    """A domain label in the current language."""
    from PySide6.QtCore import QCoreApplication

    return QCoreApplication.translate("Codes", label)
