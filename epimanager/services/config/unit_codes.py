"""The yearly unit-code lists (``resources/unit_codes/<year>.csv`` plus updates)."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from epimanager.domain.identifiers import is_unit_code
from epimanager.errors import EpiError, NotFoundError
from epimanager.resources import resource_dirs


@dataclass(frozen=True)
class UnitCodeEntry:
    code: str
    name: str
    county: str


def unit_code_years() -> list[int]:
    """Years with a list, newest first (bundled ``resources/unit_codes`` plus updates)."""
    years: set[int] = set()
    for folder in resource_dirs():
        for path in (folder / "unit_codes").glob("*.csv"):
            if re.fullmatch(r"\d{4}", path.stem):
                years.add(int(path.stem))
    return sorted(years, reverse=True)


def _unit_code_file(year: int) -> Path | None:
    for folder in resource_dirs():
        path = folder / "unit_codes" / f"{year}.csv"
        if path.exists():
            return path
    return None


def load_unit_codes(year: int | None = None) -> tuple[int, list[UnitCodeEntry]]:
    """(year, entries) of ``year``'s list, or of the newest one."""
    years = unit_code_years()
    if not years:
        raise NotFoundError("没有单位编码表（resources/unit_codes/<年份>.csv）")
    if year is None:
        year = years[0]
    path = _unit_code_file(year)
    if path is None:
        raise NotFoundError(f"没有 {year} 年的单位编码表（现有：{'、'.join(map(str, years))}）")
    return year, read_unit_code_file(path)


def read_unit_code_file(path: Path) -> list[UnitCodeEntry]:
    """One ``<year>.csv`` list (UTF-8, columns ``code,name,county``); :class:`EpiError` on a bad row."""
    entries: list[UnitCodeEntry] = []
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            for line, row in enumerate(csv.DictReader(f), start=2):
                code = (row.get("code") or "").strip()
                name = (row.get("name") or "").strip()
                if not is_unit_code(code) or not name:
                    raise EpiError(f"单位编码表 {path.name} 第 {line} 行格式不正确：{code!r}")
                entries.append(UnitCodeEntry(code, name, (row.get("county") or "").strip()))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise EpiError(f"单位编码表 {path.name} 无法读取（应为 UTF-8 编码的 CSV）：{exc}") from None
    return entries


def search_unit_codes(query: str, year: int | None = None, limit: int = 200) -> list[UnitCodeEntry]:
    """Units whose code starts with ``query`` or whose name/county contains it."""
    _, entries = load_unit_codes(year)
    q = query.strip()
    if not q:
        return entries[:limit]
    hits = [e for e in entries if e.code.startswith(q) or q in e.name or q in e.county]
    return hits[:limit]


def find_unit_code(code: str, year: int | None = None) -> UnitCodeEntry | None:
    _, entries = load_unit_codes(year)
    return next((e for e in entries if e.code == code), None)
