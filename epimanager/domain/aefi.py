"""疑似预防接种异常反应 (AEFI): the reporting limit, the batch-cluster rule and the card's checks.

Pure: the symptom list is data (``resources/aefi/symptoms.json``), loaded by the service and passed in.

Reporting limits (全国疑似预防接种异常反应监测方案): a death, a serious (严重) or a group (群体性) AEFI
is reported within **2 hours** of its discovery; every other AEFI within **48 hours** (the 个案报告卡
through the network). The limit runs from the discovery time, not from the onset.

Batch cluster: **two or more** cases of the same vaccine and batch whose onsets lie at most **30 days**
apart are shown together (a signal to check the batch and to weigh a 群体性 report).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

COMMON, SERIOUS = "一般", "严重"
SEVERITIES = (COMMON, SERIOUS)
DEATH = "死亡"
URGENT_LIMIT = timedelta(hours=2)
NORMAL_LIMIT = timedelta(hours=48)
CLUSTER_DAYS = 30
CLUSTER_MIN = 2


@dataclass(frozen=True)
class Symptom:
    code: str
    group: str
    name: str


@dataclass(frozen=True)
class SymptomList:
    """The card's main symptoms and outcomes, with the version of the list they come from."""

    version: str
    symptoms: tuple[Symptom, ...]
    outcomes: tuple[str, ...]

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SymptomList:
        symptoms = tuple(Symptom(str(s["code"]), str(s.get("group", "")), str(s["name"])) for s in d["symptoms"])
        return cls(str(d["version"]), symptoms, tuple(str(o) for o in d["outcomes"]))

    def name(self, code: str) -> str:
        for s in self.symptoms:
            if s.code == code:
                return s.name
        return code

    def resolve(self, text: str) -> str | None:
        """A symptom's code from its code or its name (as typed on the command line)."""
        t = text.strip()
        for s in self.symptoms:
            if t in (s.code, s.name):
                return s.code
        return None


@dataclass(frozen=True)
class AefiInput:
    """What the nurse fills in on the card (the child, vaccine and batch come from the dose)."""

    onset_at: datetime
    symptoms: tuple[str, ...] = ()
    symptom_text: str | None = None
    severity: str = COMMON
    outcome: str | None = None
    group_event: bool = False
    diagnosis: str | None = None
    reporter: str | None = None
    #: when the clinic learnt of it (the limit runs from here); None = now
    discovered_at: datetime | None = None


def is_urgent(severity: str, outcome: str | None = None, group_event: bool = False) -> bool:
    """Death, serious or group AEFI: the 2-hour limit."""
    return severity == SERIOUS or outcome == DEATH or group_event


def report_deadline(
    discovered_at: datetime, severity: str, outcome: str | None = None, group_event: bool = False
) -> datetime:
    """The time by which the case must be reported."""
    return discovered_at + (URGENT_LIMIT if is_urgent(severity, outcome, group_event) else NORMAL_LIMIT)


def limit_text(severity: str, outcome: str | None = None, group_event: bool = False) -> str:
    """The rule that applies, as the card shows it."""
    if outcome == DEATH:
        return "死亡病例：发现后 2 小时内报告"
    if severity == SERIOUS:
        return "严重 AEFI：发现后 2 小时内报告"
    if group_event:
        return "群体性 AEFI：发现后 2 小时内报告"
    return "一般 AEFI：发现后 48 小时内报告"


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} 小时 {minutes} 分钟" if hours else f"{minutes} 分钟"


def time_left_text(deadline: datetime, now: datetime, reported_at: datetime | None = None) -> str:
    """剩余 … / 已超时 … / 已报告 … (late reports say so)."""
    if reported_at is not None:
        late = "（超时 " + _span(reported_at - deadline) + "）" if reported_at > deadline else ""
        return f"已报告 {reported_at:%Y-%m-%d %H:%M}{late}"
    if now <= deadline:
        return "剩余 " + _span(deadline - now)
    return "已超时 " + _span(now - deadline)


def case_problems(inp: AefiInput, dose_date: date, now: datetime, outcomes: Sequence[str]) -> list[str]:
    """Why a card cannot be saved (empty: it can)."""
    p: list[str] = []
    if inp.severity not in SEVERITIES:
        p.append("严重程度应为“一般”或“严重”")
    if not inp.symptoms and not (inp.symptom_text or "").strip():
        p.append("请至少选择一个主要症状或填写症状描述")
    if inp.onset_at.date() < dose_date:
        p.append(f"发病时间 {inp.onset_at:%Y-%m-%d %H:%M} 早于接种日期 {dose_date.isoformat()}")
    if inp.onset_at > now:
        p.append("发病时间晚于现在")
    found = inp.discovered_at
    if found is not None:
        if found < inp.onset_at:
            p.append("发现时间早于发病时间")
        if found > now:
            p.append("发现时间晚于现在")
    if inp.outcome is not None and inp.outcome not in outcomes:
        p.append(f"转归应为：{'、'.join(outcomes)}")
    return p


# ---------------------------------------------------------------- batch clusters


def batch_key(vaccine_code: str, batch_no: str | None) -> tuple[str, str] | None:
    """Cases share a batch when vaccine and batch number agree (spaces and case ignored); no batch, no key."""
    b = "".join((batch_no or "").split()).upper()
    return (vaccine_code, b) if b else None


@dataclass(frozen=True)
class CaseRef:
    """What the cluster rule needs of a case (``label``: how a nurse recognises it)."""

    uuid: str
    vaccine_code: str
    batch_no: str | None
    onset: date
    label: str = ""


@dataclass(frozen=True)
class Cluster:
    vaccine_code: str
    batch_no: str
    cases: tuple[CaseRef, ...] = field(default=())


def companions(case: CaseRef, others: Iterable[CaseRef], days: int = CLUSTER_DAYS) -> list[CaseRef]:
    """Other cases of the same batch whose onset is at most ``days`` days from this one's, oldest first."""
    key = batch_key(case.vaccine_code, case.batch_no)
    if key is None:
        return []
    out = [
        o
        for o in others
        if o.uuid != case.uuid
        and batch_key(o.vaccine_code, o.batch_no) == key
        and abs((o.onset - case.onset).days) <= days
    ]
    return sorted(out, key=lambda o: (o.onset, o.uuid))


def clusters(cases: Iterable[CaseRef], today: date, days: int = CLUSTER_DAYS) -> list[Cluster]:
    """Batches with at least two cases whose onset lies in the ``days`` days up to ``today`` (F7)."""
    groups: dict[tuple[str, str], list[CaseRef]] = {}
    start = today - timedelta(days=days)
    for c in cases:
        key = batch_key(c.vaccine_code, c.batch_no)
        if key is not None and start <= c.onset <= today:
            groups.setdefault(key, []).append(c)
    return [
        Cluster(key[0], key[1], tuple(sorted(g, key=lambda c: (c.onset, c.uuid))))
        for key, g in sorted(groups.items())
        if len(g) >= CLUSTER_MIN
    ]
