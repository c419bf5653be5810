"""Turning each row of an import file (read by :mod:`epimanager.services.import_file`) into a
:class:`ChildInput` or :class:`DoseInput`; a bad row raises ``ValueError`` with its reason in Chinese."""

from __future__ import annotations

from epimanager.domain.codes import Residence, Sex, Status
from epimanager.domain.dates import parse_date
from epimanager.domain.identifiers import ascii_digits, is_unit_code
from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.resources import catalog
from epimanager.services.doses import OTHER_PLACE
from epimanager.services.import_file import MAX_FIELD_CHARS

DOSE_COLUMNS = ("child_code", "vaccine", "dose_number", "date", "batch", "manufacturer", "site", "unit_code")


#: Columns that hold digits (IDs, codes, dates, numbers): full-width, superscript and other-script
#: digits in them are read as ASCII (an ID typed on a Chinese input method is then found by search).
_DIGIT_COLUMNS = {
    "child_code",
    "id_number",
    "mother_id_number",
    "father_id_number",
    "phone",
    "birth_cert_no",
    "birth_date",
    "birth_time",
    "birth_weight_kg",
    "hukou_county",
    "dose_number",
    "date",
    "unit_code",
}


def clean_row(row: dict[str, str]) -> dict[str, str]:
    """The row with its digit columns in ASCII; raises ValueError for a row the reader flagged."""
    if "__too_long__" in row:
        raise ValueError(f"字段过长（超过 {MAX_FIELD_CHARS} 个字）：{row['__too_long__']}")
    if "__extra__" in row:
        raise ValueError("列数多于表头")
    return {k: ascii_digits(v) if k in _DIGIT_COLUMNS else v for k, v in row.items()}


def _opt(row: dict[str, str], key: str) -> str | None:
    v = row.get(key, "").strip()
    return v or None


def parse_child_row(row: dict[str, str]) -> ChildInput:
    """Turn a CSV row into a :class:`ChildInput`; raises ValueError (Chinese)."""
    row = clean_row(row)
    birth = parse_date(row.get("birth_date", ""))
    sex_text = row.get("sex", "")
    sex = Sex.parse(sex_text).value if sex_text.strip() else ""
    residence = Residence.parse(row["residence"]) if row.get("residence", "").strip() else Residence.LOCAL
    status = Status.parse(row["status"]) if row.get("status", "").strip() else Status.LOCAL
    weight = _opt(row, "birth_weight_kg")
    try:
        weight_kg = float(weight) if weight else None
    except ValueError:
        raise ValueError(f"出生体重应为数字：“{weight}”") from None
    return ChildInput(
        name=row.get("name", "").strip(),
        sex=sex,
        birth_date=birth,
        mother_name=_opt(row, "mother_name"),
        father_name=_opt(row, "father_name"),
        phone=_opt(row, "phone"),
        id_number=_opt(row, "id_number"),
        address=_opt(row, "address"),
        committee=_opt(row, "committee"),
        residence=residence,
        birth_cert_no=_opt(row, "birth_cert_no"),
        child_code=_opt(row, "child_code"),
        birth_time=_opt(row, "birth_time"),
        birth_weight_kg=weight_kg,
        mother_id_number=_opt(row, "mother_id_number"),
        father_id_number=_opt(row, "father_id_number"),
        hukou_county=_opt(row, "hukou_county"),
        school=_opt(row, "school"),
        status=status,
        mother_hbsag=_opt(row, "mother_hbsag") or "0",
        allergy=_opt(row, "allergy"),
        remark=_opt(row, "remark"),
    )


def parse_dose_row(row: dict[str, str], own_unit: str) -> DoseInput:
    row = clean_row(row)
    vac_text = row.get("vaccine", "").strip()
    if not vac_text:
        raise ValueError("疫苗不能为空")
    try:
        vaccine = catalog().resolve(vac_text).code
    except KeyError as exc:
        raise ValueError(str(exc.args[0])) from None
    try:
        number = int(row.get("dose_number", "").strip())
    except ValueError:
        raise ValueError(f"剂次应为整数：“{row.get('dose_number', '')}”") from None
    when = parse_date(row.get("date", ""))
    unit_text = row.get("unit_code", "").strip()
    place: str | None = None
    unit: str | None
    if not unit_text:
        unit = own_unit
    elif unit_text == OTHER_PLACE:
        unit, place = None, OTHER_PLACE
    elif is_unit_code(unit_text):
        unit = unit_text
    else:
        raise ValueError(f"接种单位编码应为10位数字或“外地”：“{unit_text}”")
    return DoseInput(
        vaccine=vaccine,
        dose_number=number,
        date=when,
        batch_no=_opt(row, "batch"),
        manufacturer=_opt(row, "manufacturer"),
        site=_opt(row, "site"),
        unit_code=unit,
        place_text=place,
    )
