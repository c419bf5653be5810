"""The vaccine catalog, built from data (resources/vaccines.json)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class VaccineClass:
    code: str
    name: str
    order: int


@dataclass(frozen=True, slots=True)
class Vaccine:
    code: str
    abbr: str
    name: str
    full_name: str
    class_code: str
    nip: bool
    live: bool
    route: str
    site: str
    counts_for: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    confidence: str = "H"

    @property
    def injectable(self) -> bool:
        return self.route not in ("PO",)

    @property
    def live_injectable(self) -> bool:
        return self.live and self.injectable

    @property
    def combination(self) -> bool:
        return len(self.counts_for) > 1


@dataclass(frozen=True)
class Catalog:
    version: str
    classes: tuple[VaccineClass, ...]
    vaccines: tuple[Vaccine, ...]
    _by_key: Mapping[str, Vaccine] = field(repr=False, compare=False, default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Catalog:
        classes = tuple(VaccineClass(str(c["code"]), str(c["name"]), int(c["order"])) for c in data["classes"])
        known = {c.code for c in classes}
        vaccines: list[Vaccine] = []
        for v in data["vaccines"]:
            code = str(v["code"])
            if len(code) != 4 or not code.isdigit():
                raise ValueError(f"疫苗编码应为4位数字：{code}")
            if str(v["class"]) not in known:
                raise ValueError(f"疫苗 {code} 的大类 {v['class']} 不在大类列表中")
            vaccines.append(
                Vaccine(
                    code=code,
                    abbr=str(v["abbr"]),
                    name=str(v["name"]),
                    full_name=str(v.get("full_name", v["name"])),
                    class_code=str(v["class"]),
                    nip=bool(v["nip"]),
                    live=bool(v["live"]),
                    route=str(v.get("route", "IM")),
                    site=str(v.get("site", "")),
                    counts_for=tuple(v.get("counts_for", ())),
                    aliases=tuple(v.get("aliases", ())),
                    confidence=str(v.get("confidence", "H")),
                )
            )
        by_key: dict[str, Vaccine] = {}
        for vac in vaccines:
            for key in (vac.code, vac.abbr, vac.name, *vac.aliases):
                k = _norm(key)
                if k in by_key and by_key[k].code != vac.code:
                    raise ValueError(f"疫苗名称/缩写重复：{key}")
                by_key[k] = vac
        return cls(str(data.get("version", "")), classes, tuple(vaccines), by_key)

    def resolve(self, text: str) -> Vaccine:
        """Find a vaccine by 4-digit code, abbreviation, name or alias."""
        try:
            return self._by_key[_norm(text)]
        except KeyError:
            raise KeyError(f"未知疫苗：“{text}”") from None

    def get(self, code: str) -> Vaccine | None:
        return self._by_key.get(_norm(code))

    def class_order(self, class_code: str) -> int:
        for c in self.classes:
            if c.code == class_code:
                return c.order
        return 999

    def sorted(self, vaccines: Iterable[Vaccine] | None = None) -> list[Vaccine]:
        """Vaccines in the catalog's class (大类) order, then by code."""
        vs = list(self.vaccines if vaccines is None else vaccines)
        return sorted(vs, key=lambda v: (self.class_order(v.class_code), v.code))

    def for_series(self, series: str) -> list[Vaccine]:
        return [v for v in self.vaccines if series in v.counts_for]


def _norm(text: str) -> str:
    return text.strip().upper().replace(" ", "")
