"""Field readers of the raw schedule format: required keys, offsets, products, unknown keys.

Each raises :class:`~epimanager.domain.schedule.model.ScheduleDataError` naming where the bad value is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from epimanager.domain.catalog import Catalog
from epimanager.domain.schedule.ages import Offset, parse_offset
from epimanager.domain.schedule.facts import Advice, compile_advice
from epimanager.domain.schedule.model import ScheduleDataError

#: Keys that only document the data (ignored by the engine).
DOC_KEYS = frozenset({"note", "source", "confidence", "name"})


def req(obj: Mapping[str, Any], key: str, where: str) -> str:
    if key not in obj:
        raise ScheduleDataError(f"{where}缺少字段“{key}”")
    return str(obj[key])


def offset(value: Any, where: str) -> Offset:
    try:
        return parse_offset(str(value))
    except ValueError as e:
        raise ScheduleDataError(f"{where}：{e}") from None


def opt_offset(obj: Mapping[str, Any], key: str, where: str) -> Offset | None:
    return offset(obj[key], f"{where} {key}") if obj.get(key) is not None else None


def check_keys(obj: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = set(obj) - allowed - DOC_KEYS
    if unknown:
        raise ScheduleDataError(f"{where}含未知字段：{'、'.join(sorted(unknown))}")


def product(catalog: Catalog, text: Any, where: str) -> str:
    try:
        return catalog.resolve(str(text)).code
    except KeyError as e:
        raise ScheduleDataError(f"{where}：{e.args[0]}") from None


def early_course(raw: Any, catalog: Catalog, where: str) -> tuple[frozenset[str], Offset] | None:
    if not raw:
        return None
    check_keys(raw, {"products", "min_age"}, f"{where} early_course")
    products = frozenset(product(catalog, p, where) for p in raw.get("products", []))
    return products, offset(req(raw, "min_age", f"{where} early_course"), where)


def advice(raw: Any, where: str) -> Advice:
    try:
        return compile_advice(raw, where)
    except ValueError as e:
        raise ScheduleDataError(str(e)) from None


def skip_dose(raw: Any, index: int, where: str) -> tuple[int, Offset] | None:
    if not raw:
        return None
    check_keys(raw, {"dose", "age"}, f"{where} skip_if_dose_at_age")
    n = int(raw.get("dose", 1)) - 1
    if not 0 <= n < index:
        raise ScheduleDataError(f"{where}：skip_if_dose_at_age.dose 应为此前的剂次")
    return n, offset(req(raw, "age", where), where)
