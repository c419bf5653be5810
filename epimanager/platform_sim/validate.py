"""What the reference platform refuses, with a reason (Chinese) per record."""

from __future__ import annotations

from datetime import date
from typing import Any

from epimanager.domain.identifiers import id_number_problem, is_child_code, is_unit_code
from epimanager.domain.platform_protocol import KIND_AEFI, KIND_CHILD, KIND_DOSE, KIND_STATUS, KINDS
from epimanager.resources import catalog


def _date(v: Any) -> date | None:
    try:
        return date.fromisoformat(str(v)[:10]) if v else None
    except ValueError:
        return None


def envelope_problem(rec: Any, unit: str) -> str | None:
    """Problems of a record's envelope (kind, uuid, version, owner)."""
    if not isinstance(rec, dict):
        return "记录格式错误"
    if rec.get("kind") not in KINDS:
        return f"未知的记录类型：{rec.get('kind')!r}"
    u = rec.get("uuid")
    if not isinstance(u, str) or not 8 <= len(u) <= 36:
        return "缺少记录 UUID"
    v = rec.get("version")
    if not isinstance(v, int) or isinstance(v, bool) or v < 1:
        return "版本号应为正整数"
    if rec.get("owner_unit") != unit:
        return f"记录属于单位 {rec.get('owner_unit')}，不能由单位 {unit} 上传"
    if not isinstance(rec.get("data"), dict):
        return "缺少记录内容 data"
    return None


def data_problems(kind: str, d: dict[str, Any], today: date | None = None) -> list[str]:
    """Business rules the platform checks on the record content."""
    today = today or date.today()
    p: list[str] = []
    if kind == KIND_CHILD:
        if not is_child_code(str(d.get("chil_code") or "")):
            p.append("儿童编码应为18位数字")
        if not str(d.get("chil_name") or "").strip():
            p.append("缺少姓名")
        if str(d.get("chil_sex")) not in ("1", "2"):
            p.append("性别代码应为 1 或 2")
        birth = _date(d.get("chil_birthday"))
        if birth is None:
            p.append("缺少出生日期或格式错误")
        elif birth > today:
            p.append("出生日期晚于今天")
        if d.get("chil_no") and id_number_problem(str(d["chil_no"])):
            p.append(f"身份证号无效：{d['chil_no']}")
        if str(d.get("chil_here") or "1") not in {str(i) for i in range(1, 11)}:
            p.append("在册情况代码无效")
        if not is_unit_code(str(d.get("chil_curdepartment") or "")):
            p.append("管理单位编码应为10位数字")
    elif kind == KIND_DOSE:
        code = str(d.get("inoc_bact_code") or "")
        if catalog().get(code) is None:
            p.append(f"疫苗编码无效：{code or '（空）'}")
        when = _date(d.get("inoc_date"))
        if when is None:
            p.append("缺少接种日期或格式错误")
        elif when > today:
            p.append("接种日期晚于今天")
        try:
            n = int(d.get("inoc_time") or 0)
        except (TypeError, ValueError):
            n = 0
        if not 1 <= n <= 10:
            p.append("剂次应在 1–10 之间")
        if not d.get("chil_uuid"):
            p.append("缺少儿童 UUID")
    elif kind == KIND_STATUS:
        if not d.get("chhe_chil_uuid"):
            p.append("缺少儿童 UUID")
        if str(d.get("chhe_here") or "") not in {str(i) for i in range(1, 11)}:
            p.append("在册情况代码无效")
    elif kind == KIND_AEFI:
        p.extend(_aefi_problems(d, today))
    return p


def _aefi_problems(d: dict[str, Any], today: date) -> list[str]:
    """A 疑似预防接种异常反应 case: the child, a known vaccine, an onset date, severity 一般/严重."""
    p: list[str] = []
    if not d.get("chil_uuid"):
        p.append("缺少儿童 UUID")
    code = str(d.get("inoc_bact_code") or "")
    if catalog().get(code) is None:
        p.append(f"疫苗编码无效：{code or '（空）'}")
    onset = _date(d.get("aefi_onset"))
    if onset is None:
        p.append("缺少发病日期或格式错误")
    elif onset > today:
        p.append("发病日期晚于今天")
    if d.get("aefi_severity") not in ("一般", "严重"):
        p.append("严重程度应为“一般”或“严重”")
    return p
