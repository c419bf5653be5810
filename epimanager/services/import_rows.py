"""Reading an import file (CSV in UTF-8 or GB18030, or a JSON list) and turning each row into a
:class:`ChildInput` or :class:`DoseInput`; a bad row raises ``ValueError`` with its reason in Chinese."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from pathlib import Path

from epimanager.domain.codes import Residence, Sex, Status
from epimanager.domain.dates import parse_date
from epimanager.domain.identifiers import is_unit_code
from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.errors import EpiError
from epimanager.resources import catalog
from epimanager.services.doses import OTHER_PLACE

DOSE_COLUMNS = ("child_code", "vaccine", "dose_number", "date", "batch", "manufacturer", "site", "unit_code")


def read_rows(path: Path, required: Iterable[str]) -> list[tuple[int, dict[str, str]]]:
    """Rows of a CSV (UTF-8, UTF-8 with BOM, or GB18030) or JSON list file.

    Returns ``(line_number, row)`` pairs; line numbers count the header as 1.
    """
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise EpiError(f"无法读取文件 {path}：{exc.strerror}") from None
    if Path(path).suffix.lower() == ".json":
        try:
            data = json.loads(raw.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise EpiError(f"JSON 文件格式错误：{exc}") from None
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise EpiError("JSON 文件应为对象列表")
        rows = [(i + 1, {k: "" if v is None else str(v) for k, v in r.items()}) for i, r in enumerate(data)]
        _check_columns(set().union(*(r.keys() for _, r in rows)) if rows else set(), required)
        return rows
    text = _decode(raw)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise EpiError("文件为空（缺少表头行）") from None
    _check_columns(set(header), required)
    out: list[tuple[int, dict[str, str]]] = []
    for n, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        row = {h: (values[i].strip() if i < len(values) else "") for i, h in enumerate(header)}
        if len(values) > len(header):
            row["__extra__"] = "x"
        out.append((n, row))
    return out


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return raw.decode("gb18030")
        except UnicodeDecodeError:
            raise EpiError("无法识别文件编码（应为 UTF-8 或 GB18030）") from None


def _check_columns(present: set[str], required: Iterable[str]) -> None:
    missing = [c for c in required if c not in present]
    if missing:
        raise EpiError(f"表头缺少列：{', '.join(missing)}")


def _opt(row: dict[str, str], key: str) -> str | None:
    v = row.get(key, "").strip()
    return v or None


def parse_child_row(row: dict[str, str]) -> ChildInput:
    """Turn a CSV row into a :class:`ChildInput`; raises ValueError (Chinese)."""
    if "__extra__" in row:
        raise ValueError("列数多于表头")
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
    if "__extra__" in row:
        raise ValueError("列数多于表头")
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
