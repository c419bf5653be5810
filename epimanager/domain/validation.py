"""Validation rules for a child and a dose, with Chinese messages (pure)."""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from epimanager.domain import identifiers as ids
from epimanager.domain.codes import DoseAttribute, Residence, Sex, Status

#: A child's basic data (基本资料) that a user supplies and edits, in the panel's order, with the
#: labels every screen uses (the 个案变更 query, merges, the edit check).  ``committee`` is the
#: 区域划分 by name (``committee_id`` in the database).
CHILD_FIELD_LABELS: dict[str, str] = {
    "name": "姓名",
    "sex": "性别",
    "birth_date": "出生日期",
    "birth_time": "出生时间",
    "birth_weight_kg": "出生体重",
    "mother_name": "母亲姓名",
    "mother_id_number": "母亲身份证号",
    "father_name": "父亲姓名",
    "father_id_number": "父亲身份证号",
    "phone": "联系电话",
    "id_number": "身份证号",
    "birth_cert_no": "出生证号",
    "address": "家庭住址",
    "hukou_county": "户籍县",
    "residence": "居住属性",
    "committee": "区域划分",
    "school": "学校",
    "mother_hbsag": "母亲HBsAg",
    "allergy": "过敏史",
    "remark": "备注",
}


@dataclass
class ChildInput:
    """What a user (form, CSV row, platform) supplies for a child."""

    name: str
    sex: str
    birth_date: date
    mother_name: str | None = None
    father_name: str | None = None
    phone: str | None = None
    id_number: str | None = None
    address: str | None = None
    committee: str | None = None
    residence: int = Residence.LOCAL
    birth_cert_no: str | None = None
    child_code: str | None = None
    birth_time: str | None = None
    birth_weight_kg: float | None = None
    mother_id_number: str | None = None
    father_id_number: str | None = None
    hukou_county: str | None = None
    school: str | None = None
    status: int = Status.LOCAL
    mother_hbsag: str = "0"
    allergy: str | None = None
    remark: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


def _blank(v: str | None) -> bool:
    return v is None or not v.strip()


#: Text fields of a child checked for control characters, with their labels.
_TEXT_FIELDS = (
    ("name", "姓名"),
    ("mother_name", "母亲姓名"),
    ("father_name", "父亲姓名"),
    ("phone", "联系电话"),
    ("address", "家庭住址"),
    ("school", "学校/托幼机构"),
    ("allergy", "过敏史"),
    ("remark", "备注"),
)


#: Longest accepted text per field (the database column's width), with its label.
CHILD_MAX_LENGTHS = (
    ("mother_name", "母亲姓名", 50),
    ("father_name", "父亲姓名", 50),
    ("phone", "联系电话", 20),
    ("birth_cert_no", "出生证号", 20),
    ("address", "家庭住址", 200),
    ("school", "学校/托幼机构", 100),
    ("allergy", "过敏史", 200),
    ("remark", "备注", 200),
)
DOSE_MAX_LENGTHS = (("batch_no", "批号", 40), ("manufacturer", "生产企业", 100), ("site", "接种部位", 20))


def _too_long_fields(obj: object, limits: tuple[tuple[str, str, int], ...]) -> list[tuple[str, str]]:
    """(field, message) of each value longer than its column allows."""
    out = []
    for attr, label, limit in limits:
        value = getattr(obj, attr)
        if value is not None and len(value.strip()) > limit:
            out.append((attr, f"{label}过长（{len(value.strip())} 个字，最多 {limit} 个）"))
    return out


def _too_long(obj: object, limits: tuple[tuple[str, str, int], ...]) -> list[str]:
    return [message for _field, message in _too_long_fields(obj, limits)]


def control_character(text: str | None) -> str | None:
    """The first control or direction-override character in ``text`` (NUL, ESC, U+202E …), as ``U+XXXX``."""
    for ch in text or "":
        if unicodedata.category(ch) in ("Cc", "Cf") and ch not in "\u200d":  # ZWJ stays (names in some scripts)
            return f"U+{ord(ch):04X}"
    return None


def child_problems(c: ChildInput, today: date) -> list[str]:
    """Every rule the child breaks, as Chinese messages (empty list = valid)."""
    return [message for _field, message in child_field_problems(c, today)]


def id_birth_problem(id_number: str, today: date, label: str = "身份证号") -> str | None:
    """A valid ID number whose birth date lies after ``today``: one clear message (else None)."""
    idn = ids.normalize_id_number(id_number)
    if ids.id_number_problem(idn) is not None:
        return None
    born = ids.id_birth_date(idn)
    if born is not None and born > today:
        return f"{label}中的出生日期 {born.isoformat()} 晚于今天，请核对{label}"
    return None


def child_field_problems(c: ChildInput, today: date) -> list[tuple[str, str]]:
    """Every rule the child breaks as ``(field, message)``: the form shows each message at its field
    (``field`` is a :class:`ChildInput` attribute)."""
    p: list[tuple[str, str]] = []
    for attr, label in _TEXT_FIELDS:
        bad = control_character(getattr(c, attr))
        if bad:
            p.append((attr, f"{label}含有不可见的控制字符（{bad}），请重新输入"))
    name = c.name.strip() if c.name else ""
    if not name:
        p.append(("name", "姓名不能为空"))
    elif len(name) > 20:
        p.append(("name", "姓名过长（最多20个字）"))
    p.extend(_too_long_fields(c, CHILD_MAX_LENGTHS))
    if c.sex not in (Sex.MALE, Sex.FEMALE):
        p.append(("sex", "性别必须为 男 或 女"))
    if c.birth_date > today:
        p.append(("birth_date", f"出生日期 {c.birth_date.isoformat()} 晚于今天"))
    elif c.birth_date.year < today.year - 30:
        p.append(("birth_date", f"出生日期 {c.birth_date.isoformat()} 过早，请核对"))
    if _blank(c.mother_name) and _blank(c.father_name):
        p.append(("mother_name", "母亲姓名和父亲姓名至少填写一个"))
    if not _blank(c.id_number):
        assert c.id_number is not None
        idn = ids.normalize_id_number(c.id_number)
        problem = ids.id_number_problem(idn) or id_birth_problem(idn, today)
        if problem:  # a future birth date in the number is one error, not also a mismatch
            p.append(("id_number", problem))
        else:
            born = ids.id_birth_date(idn)
            if born is not None and born != c.birth_date:
                p.append(
                    ("id_number", f"身份证号中的出生日期 {born.isoformat()} 与出生日期 {c.birth_date.isoformat()} 不符")
                )
            sex = ids.id_sex(idn)
            if sex is not None and c.sex in (Sex.MALE, Sex.FEMALE) and sex != c.sex:
                p.append(("id_number", f"身份证号显示性别为{Sex(sex).label}，与填写的性别不符"))
    for attr, label, v in (
        ("mother_id_number", "母亲身份证号", c.mother_id_number),
        ("father_id_number", "父亲身份证号", c.father_id_number),
    ):
        if not _blank(v):
            assert v is not None
            problem = ids.id_number_problem(v)
            if problem:
                p.append((attr, f"{label}：{problem}"))
            else:
                future = id_birth_problem(v, today, label)
                if future:
                    p.append((attr, future))
    if not _blank(c.phone):
        assert c.phone is not None
        problem = ids.phone_problem(c.phone)
        if problem:
            p.append(("phone", problem))
    if c.residence not in {r.value for r in Residence}:
        p.append(("residence", "居住属性必须为 本地/流动/临时"))
    if c.status not in {s.value for s in Status}:
        p.append(("status", "在册情况代码无效"))
    if c.child_code is not None and c.child_code.strip() and not ids.is_child_code(c.child_code.strip()):
        p.append(("child_code", "儿童编码应为18位数字"))
    if c.birth_weight_kg is not None and not (0.3 <= c.birth_weight_kg <= 8.0):
        p.append(("birth_weight_kg", "出生体重应在 0.3–8.0 公斤之间"))
    if c.hukou_county and not (len(c.hukou_county) == 6 and c.hukou_county.isascii() and c.hukou_county.isdigit()):
        p.append(("hukou_county", "户籍县国标码应为6位数字"))
    if c.birth_time and not _valid_time(c.birth_time):
        p.append(("birth_time", "出生时间格式应为 HH:MM"))
    return p


def _valid_time(t: str) -> bool:
    parts = t.split(":")
    if len(parts) != 2 or not all(x.isdigit() for x in parts):
        return False
    return 0 <= int(parts[0]) < 24 and 0 <= int(parts[1]) < 60


@dataclass
class DoseInput:
    vaccine: str
    dose_number: int
    date: dt.date
    attribute: int = DoseAttribute.ROUTINE
    batch_no: str | None = None
    expiry: dt.date | None = None
    manufacturer: str | None = None
    site: str | None = None
    route: str | None = None
    nurse: str | None = None
    unit_code: str | None = None
    place_text: str | None = None
    free: bool = True
    trace_code: str | None = None
    combination_code: str | None = None
    #: chosen by the form when it opens: a save retried after a lost server connection whose first
    #: attempt was committed (only the answer was lost) finds that dose instead of saving it twice
    uuid: str | None = None


def dose_date_problem(day: date, birth_date: date, today: date) -> str | None:
    """A dose date that cannot be (before the birth, after today): checked before anything else,
    including the schedule's evaluation (a dose before birth is not "首针提前")."""
    if day < birth_date:
        return f"接种日期 {day.isoformat()} 早于出生日期 {birth_date.isoformat()}"
    if day > today:
        return f"接种日期 {day.isoformat()} 晚于今天"
    return None


def dose_problems(d: DoseInput, birth_date: date, today: date) -> list[str]:
    p: list[str] = []
    problem = dose_date_problem(d.date, birth_date, today)
    if problem:
        p.append(problem)
    if not 1 <= d.dose_number <= 10:
        p.append("剂次应在 1–10 之间")
    if d.attribute not in {a.value for a in DoseAttribute}:
        p.append("接种属性无效")
    if d.unit_code and not ids.is_unit_code(d.unit_code):
        p.append(f"接种单位编码应为10位数字：“{d.unit_code}”")
    if d.trace_code and not ids.is_trace_code(d.trace_code):
        p.append("追溯码应为以8开头的20位数字")
    p.extend(_too_long(d, DOSE_MAX_LENGTHS))
    if d.expiry is not None and d.expiry < d.date:
        p.append(f"疫苗已过期（失效期 {d.expiry.isoformat()} 早于接种日期）")
    return p
