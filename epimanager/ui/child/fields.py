"""The child's fields as the GUI shows and edits them (labels, display text, editors)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import Enum

from PySide6.QtCore import QCoreApplication

from epimanager.domain.codes import MotherHBsAg, Residence, Sex, Status
from epimanager.domain.dates import age_in_months
from epimanager.services.children import EDITABLE_FIELDS
from epimanager.services.records import ChildRecord
from epimanager.ui.i18n import QT_TRANSLATE_NOOP


class Editor(Enum):
    TEXT = "text"
    DATE = "date"
    SEX = "sex"
    RESIDENCE = "residence"
    COMMITTEE = "committee"
    HBSAG = "hbsag"
    NUMBER = "number"


@dataclass(frozen=True)
class FieldDef:
    key: str
    label: str  # Chinese source text (context "Fields")
    display: Callable[[ChildRecord], str]
    editor: Editor = Editor.TEXT

    @property
    def editable(self) -> bool:
        return self.key in EDITABLE_FIELDS

    def title(self) -> str:
        return QCoreApplication.translate("Fields", self.label)


def age_text(birth: date, today: date | None = None) -> str:
    """Age as a nurse says it: 3天 / 5个月 / 1岁3个月 / 7岁."""
    today = today or date.today()
    if today < birth:
        return ""
    months = age_in_months(birth, today)  # the schedule engine's rule (born 01-31: 1 month on 02-28)
    if months < 1:
        days = (today - birth).days
        if days == 1:
            return QCoreApplication.translate("Fields", "1天")
        return QCoreApplication.translate("Fields", "%1天").replace("%1", str(days))
    if months < 24:
        years, rest = divmod(months, 12)
        if years == 0:
            if months == 1:
                return QCoreApplication.translate("Fields", "1个月")
            return QCoreApplication.translate("Fields", "%1个月").replace("%1", str(months))
        return QCoreApplication.translate("Fields", "%1岁%2个月").replace("%1", str(years)).replace("%2", str(rest))
    # (one message per count form: the plural forms of Qt's catalogs are not kept by every lupdate)
    return QCoreApplication.translate("Fields", "%1岁").replace("%1", str(months // 12))


def _s(v: object) -> str:
    return "" if v is None else str(v)


def _t(text: str) -> str:
    return QCoreApplication.translate("Codes", text)


def _label(enum_cls: type, value: object) -> str:
    try:
        return _t(enum_cls(value).label)
    except ValueError:
        return _s(value)


FIELDS: tuple[FieldDef, ...] = (
    FieldDef("code", QT_TRANSLATE_NOOP("Fields", "儿童编码"), lambda c: c.code),
    FieldDef("name", QT_TRANSLATE_NOOP("Fields", "姓名"), lambda c: c.name),
    FieldDef("sex", QT_TRANSLATE_NOOP("Fields", "性别"), lambda c: _label(Sex, c.sex), Editor.SEX),
    FieldDef("birth_date", QT_TRANSLATE_NOOP("Fields", "出生日期"), lambda c: c.birth_date.isoformat(), Editor.DATE),
    FieldDef("age", QT_TRANSLATE_NOOP("Fields", "年龄"), lambda c: age_text(c.birth_date)),
    FieldDef("mother_name", QT_TRANSLATE_NOOP("Fields", "母亲姓名"), lambda c: _s(c.mother_name)),
    FieldDef("father_name", QT_TRANSLATE_NOOP("Fields", "父亲姓名"), lambda c: _s(c.father_name)),
    FieldDef("phone", QT_TRANSLATE_NOOP("Fields", "联系电话"), lambda c: _s(c.phone)),
    FieldDef("id_number", QT_TRANSLATE_NOOP("Fields", "身份证号"), lambda c: _s(c.id_number)),
    FieldDef("committee", QT_TRANSLATE_NOOP("Fields", "区域划分"), lambda c: _s(c.committee), Editor.COMMITTEE),
    FieldDef("address", QT_TRANSLATE_NOOP("Fields", "家庭住址"), lambda c: _s(c.address)),
    FieldDef(
        "residence", QT_TRANSLATE_NOOP("Fields", "居住属性"), lambda c: _label(Residence, c.residence), Editor.RESIDENCE
    ),
    FieldDef("status", QT_TRANSLATE_NOOP("Fields", "在册情况"), lambda c: _label(Status, c.status)),
    FieldDef("birth_cert_no", QT_TRANSLATE_NOOP("Fields", "出生证号"), lambda c: _s(c.birth_cert_no)),
    FieldDef("birth_time", QT_TRANSLATE_NOOP("Fields", "出生时间"), lambda c: _s(c.birth_time)),
    FieldDef(
        "birth_weight_kg",
        QT_TRANSLATE_NOOP("Fields", "出生体重(kg)"),
        lambda c: "" if c.birth_weight_kg is None else f"{c.birth_weight_kg:g}",
        Editor.NUMBER,
    ),
    FieldDef("mother_id_number", QT_TRANSLATE_NOOP("Fields", "母亲身份证号"), lambda c: _s(c.mother_id_number)),
    FieldDef("father_id_number", QT_TRANSLATE_NOOP("Fields", "父亲身份证号"), lambda c: _s(c.father_id_number)),
    FieldDef("hukou_county", QT_TRANSLATE_NOOP("Fields", "户籍县国标"), lambda c: _s(c.hukou_county)),
    FieldDef("school", QT_TRANSLATE_NOOP("Fields", "幼儿园/学校"), lambda c: _s(c.school)),
    FieldDef(
        "mother_hbsag",
        QT_TRANSLATE_NOOP("Fields", "母亲HBsAg"),
        lambda c: _label(MotherHBsAg, c.mother_hbsag),
        Editor.HBSAG,
    ),
    FieldDef("allergy", QT_TRANSLATE_NOOP("Fields", "过敏史"), lambda c: _s(c.allergy)),
    FieldDef("remark", QT_TRANSLATE_NOOP("Fields", "备注"), lambda c: _s(c.remark)),
    FieldDef("managing_unit", QT_TRANSLATE_NOOP("Fields", "管理单位"), lambda c: c.managing_unit),
    FieldDef("created_at", QT_TRANSLATE_NOOP("Fields", "建档日期"), lambda c: c.created_at.date().isoformat()),
)
FIELD_BY_KEY: dict[str, FieldDef] = {f.key: f for f in FIELDS}

#: Choices for the combo-box editors: (stored value, label source text)
CHOICES: dict[Editor, tuple[tuple[object, str], ...]] = {
    Editor.SEX: tuple((s.value, s.label) for s in Sex),
    Editor.RESIDENCE: tuple((int(r), r.label) for r in Residence),
    Editor.HBSAG: tuple((h.value, h.label) for h in MotherHBsAg),
}


def raw_value(child: ChildRecord, key: str) -> object:
    """The stored value of an editable field (what the editor starts from)."""
    return getattr(child, key)


def parse_text(key: str, text: str) -> object:
    """Editor text → the value the service expects (None for blank); ValueError with a Chinese message."""
    t = text.strip()
    if key == "birth_weight_kg":
        if not t:
            return None
        try:
            return float(t)
        except ValueError:
            raise ValueError(QCoreApplication.translate("Fields", "出生体重应为数字，如 3.2")) from None
    if key == "name":
        return t
    return t or None
