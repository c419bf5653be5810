"""Pure rules for 在册变更, duplicate children and data quality (no I/O).

- :func:`status_change_problems`: what is wrong with a requested 在册情况
  change (迁出 needs a reason from :data:`MOVEOUT_REASONS`; the reason
  “其他” needs a remark).
- :func:`duplicate_match`: whether two children are probably the same child.
- :func:`child_quality` / :func:`dose_quality`: the data-quality checks of
  数据清理.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from itertools import pairwise

from epimanager.domain import identifiers as ids
from epimanager.domain.codes import MANAGED_STATUSES, Status
from epimanager.domain.dates import add_years

# -- 在册变更 -------------------------------------------------------------------------

#: 迁出分类 (the reasons offered when a child moves out), in display order.
MOVEOUT_REASONS: tuple[str, ...] = ("迁往外地", "迁往外省", "出国", "失访", "长期外出", "其他")
#: The reason that needs a free-text remark.
OTHER_REASON = "其他"
REMARK_MAX = 200
REASON_MAX = 50


def status_change_problems(
    old: int,
    new: int,
    change_date: date,
    reason: str | None,
    remark: str | None,
    *,
    birth_date: date,
    today: date,
) -> list[str]:
    """Every rule a requested 在册情况 change breaks (empty list = allowed)."""
    p: list[str] = []
    valid = {int(s) for s in Status}
    if new not in valid:
        return ["在册情况代码无效"]
    if new == Status.DELETED:
        p.append("删除个案请使用“删除个案”功能，不能通过在册变更删除")
    elif new == old:
        p.append(f"在册情况已经是“{Status(new).label}”，无需变更")
    if change_date > today:
        p.append(f"变更日期 {change_date.isoformat()} 晚于今天")
    if change_date < birth_date:
        p.append(f"变更日期 {change_date.isoformat()} 早于出生日期 {birth_date.isoformat()}")
    reason = (reason or "").strip()
    remark = (remark or "").strip()
    if new == Status.MOVED_OUT:
        if not reason:
            p.append("迁出时必须选择迁出原因（" + "、".join(MOVEOUT_REASONS) + "）")
        elif reason not in MOVEOUT_REASONS:
            p.append(f"迁出原因“{reason}”无效，应为：" + "、".join(MOVEOUT_REASONS))
        elif reason == OTHER_REASON and not remark:
            p.append("迁出原因为“其他”时必须填写备注")
    if len(reason) > REASON_MAX:
        p.append(f"原因过长（最多{REASON_MAX}个字）")
    if len(remark) > REMARK_MAX:
        p.append(f"备注过长（最多{REMARK_MAX}个字）")
    return p


def parse_status(text: str | int) -> Status:
    """A status from its code or label (``2``, ``迁出``, ``在册``); ValueError otherwise."""
    if isinstance(text, int):
        return Status(text)
    return Status.parse(text)


# -- duplicates ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Person:
    """What the duplicate rules look at."""

    id: int
    name: str
    birth_date: date
    mother_name: str | None
    id_number: str | None


SCORE_ID = 100
SCORE_SAME = 90
SCORE_PINYIN = 70


@dataclass(frozen=True, slots=True)
class Match:
    score: int
    reason: str


def name_pinyin(name: str | None) -> str:
    """Toneless, surname-aware full pinyin (``""`` for no name)."""
    from epimanager.domain.search.keys import primary_pinyin  # pypinyin loads slowly: only when needed

    return primary_pinyin(name.strip()) if name and name.strip() else ""


def edit_distance(a: str, b: str, cap: int = 2) -> int:
    """Levenshtein distance, stopping early once it exceeds ``cap``."""
    if abs(len(a) - len(b)) > cap:
        return cap + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
        if min(cur) > cap:
            return cap + 1
        prev = cur
    return prev[-1]


def pinyin_close(a: str, b: str) -> bool:
    """Same reading, or one letter apart (zhanghao / zhanhao) on names of 4+ letters."""
    if not a or not b:
        return False
    if a == b:
        return True
    return min(len(a), len(b)) >= 4 and edit_distance(a, b, 1) <= 1


def duplicate_match(
    a: Person, b: Person, pinyin: dict[str, str] | None = None, *, close_names: bool = True
) -> Match | None:
    """Why ``a`` and ``b`` are probably the same child, or None: THE rule of a probable duplicate.

    Rules, strongest first: the same ID number; the same name, birth date and
    mother; a close name pinyin with the same birth date and mother (mother by
    name or by pinyin).  Two different ID numbers are two children (twins).
    ``pinyin`` caches :func:`name_pinyin` results.

    ``close_names=False`` leaves out the last rule (no pinyin is computed): the
    check made while a new child is typed, on the UI thread, names only exact
    matches; 数据清理 uses all three rules.
    """
    if a.id_number and b.id_number and ids.normalize_id_number(a.id_number) == ids.normalize_id_number(b.id_number):
        return Match(SCORE_ID, "身份证号相同")
    if a.birth_date != b.birth_date or not a.mother_name or not b.mother_name:
        return None
    if a.id_number and b.id_number:
        return None  # two different valid ID numbers: two children (e.g. twins)
    py = pinyin if pinyin is not None else {}

    def reading(n: str) -> str:
        if n not in py:
            py[n] = name_pinyin(n)
        return py[n]

    same_mother = a.mother_name.strip() == b.mother_name.strip()
    if a.name.strip() == b.name.strip() and same_mother:
        return Match(SCORE_SAME, "姓名、出生日期、母亲姓名相同")
    if not close_names:
        return None
    if not same_mother and reading(a.mother_name) != reading(b.mother_name):
        return None
    pa, pb = reading(a.name), reading(b.name)
    if pinyin_close(pa, pb):
        mother = "母亲姓名相同" if same_mother else "母亲姓名拼音相同"
        return Match(SCORE_PINYIN, f"姓名拼音相近（{pa}/{pb}），出生日期相同，{mother}")
    return None


# -- data quality --------------------------------------------------------------------

MISSING = "missing"
BAD_ID = "bad_id"
DOSE_BEFORE_BIRTH = "dose_before_birth"
DOSE_ORDER = "dose_order"
OVER_18 = "over_18"

QUALITY_KINDS: dict[str, str] = {
    MISSING: "缺少必填项",
    BAD_ID: "身份证号无效",
    DOSE_BEFORE_BIRTH: "接种日期早于出生日期",
    DOSE_ORDER: "剂次顺序错误",
    OVER_18: "满18周岁仍在册",
}

#: Required basic data: (field, label).  ``guardian`` = mother's or father's name.
REQUIRED_FIELDS: tuple[tuple[str, str], ...] = (
    ("name", "姓名"),
    ("sex", "性别"),
    ("guardian", "母亲或父亲姓名"),
    ("phone", "联系电话"),
    ("committee", "区域划分"),
)


@dataclass(frozen=True, slots=True)
class ChildFacts:
    name: str | None
    sex: str | None
    birth_date: date
    mother_name: str | None
    father_name: str | None
    phone: str | None
    committee: str | None
    id_number: str | None
    status: int


@dataclass(frozen=True, slots=True)
class DoseFacts:
    vaccine_code: str
    abbr: str
    dose_number: int
    date: date


def _blank(v: str | None) -> bool:
    return v is None or not str(v).strip()


def child_quality(c: ChildFacts, today: date) -> list[tuple[str, str]]:
    """(kind, detail) for each basic-data problem of one child."""
    out: list[tuple[str, str]] = []
    missing = []
    for key, label in REQUIRED_FIELDS:
        if key == "guardian":
            if _blank(c.mother_name) and _blank(c.father_name):
                missing.append(label)
        elif _blank(getattr(c, key)):
            missing.append(label)
    if missing:
        out.append((MISSING, "缺少：" + "、".join(missing)))
    if not _blank(c.id_number):
        assert c.id_number is not None
        problem = ids.id_number_problem(c.id_number)
        if problem:
            out.append((BAD_ID, f"{c.id_number}：{problem}"))
        else:
            born = ids.id_birth_date(ids.normalize_id_number(c.id_number))
            if born is not None and born != c.birth_date:
                out.append((BAD_ID, f"{c.id_number}：出生日期与身份证号不符"))
    if c.status in MANAGED_STATUSES and c.birth_date <= add_years(today, -18):
        out.append((OVER_18, f"出生日期 {c.birth_date.isoformat()}，在册情况“{Status(c.status).label}”"))
    return out


def dose_quality(birth_date: date, doses: Sequence[DoseFacts]) -> list[tuple[str, str]]:
    """(kind, detail) for doses given before birth and doses out of order.

    Doses are compared within a vaccine class (first two code digits: polio
    IPV and bOPV count together): a later dose number on an earlier date, or
    the same dose number twice, is out of order.
    """
    out: list[tuple[str, str]] = []
    for d in doses:
        if d.date < birth_date:
            out.append((DOSE_BEFORE_BIRTH, f"{d.abbr} 第{d.dose_number}剂 {d.date.isoformat()}"))
    by_class: dict[str, list[DoseFacts]] = {}
    for d in doses:
        by_class.setdefault(d.vaccine_code[:2], []).append(d)
    for group in by_class.values():
        ordered = sorted(group, key=lambda d: (d.date, d.dose_number))
        for prev, cur in pairwise(ordered):
            if cur.dose_number < prev.dose_number:
                out.append(
                    (
                        DOSE_ORDER,
                        f"{cur.abbr} 第{cur.dose_number}剂（{cur.date.isoformat()}）早于"
                        f" {prev.abbr} 第{prev.dose_number}剂（{prev.date.isoformat()}）",
                    )
                )
            elif cur.dose_number == prev.dose_number:
                out.append(
                    (
                        DOSE_ORDER,
                        f"{cur.abbr} 第{cur.dose_number}剂重复（{prev.date.isoformat()}、{cur.date.isoformat()}）",
                    )
                )
    return out
