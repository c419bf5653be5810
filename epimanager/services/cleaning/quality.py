"""The data-quality report (数据质量): missing required data, bad ID numbers, doses out of order …"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select

from epimanager.domain.registry import QUALITY_KINDS, ChildFacts, DoseFacts, child_quality, dose_quality
from epimanager.resources import catalog
from epimanager.services.cleaning.traceability import TraceRow, trace_quality
from epimanager.store.database import Database
from epimanager.store.models import Child, Committee, Dose


@dataclass(frozen=True)
class QualityIssue:
    kind: str
    child_code: str
    name: str
    detail: str

    @property
    def label(self) -> str:
        return QUALITY_KINDS[self.kind]

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "label": self.label}


@dataclass(frozen=True)
class QualityReport:
    """Counts per kind (every kind listed) and the issues (at most ``limit`` per kind)."""

    checked: int
    counts: dict[str, int]
    issues: tuple[QualityIssue, ...] = field(default=())
    #: doses given here without a 追溯码 and with an over-used one, by month and vaccine
    traceability: tuple[TraceRow, ...] = field(default=())

    @property
    def no_trace_code(self) -> int:
        return sum(r.no_trace_code for r in self.traceability)

    @property
    def overused(self) -> int:
        return sum(r.overused for r in self.traceability)

    def to_json(self) -> dict[str, Any]:
        return {
            "checked": self.checked,
            "counts": {QUALITY_KINDS[k]: v for k, v in self.counts.items()},
            "issues": [i.to_json() for i in self.issues],
            "traceability": [r.to_json() for r in self.traceability],
        }


def iter_quality_issues(db: Database, today: date | None = None, page_size: int = 2000) -> Iterator[QualityIssue]:
    """Every data-quality issue of the non-deleted children, child by child (keyset pages)."""
    today = today or date.today()
    cat = catalog()
    last = 0
    while True:
        with db.session() as s:
            rows = s.execute(
                select(
                    Child.id,
                    Child.code,
                    Child.name,
                    Child.sex,
                    Child.birth_date,
                    Child.mother_name,
                    Child.father_name,
                    Child.phone,
                    Committee.name,
                    Child.id_number,
                    Child.status,
                )
                .outerjoin(Committee, Committee.id == Child.committee_id)
                .where(Child.id > last, Child.deleted.is_(False))
                .order_by(Child.id)
                .limit(page_size)
            ).all()
            if not rows:
                return
            doses: dict[int, list[DoseFacts]] = defaultdict(list)
            for cid, code, number, day in s.execute(
                select(Dose.child_id, Dose.vaccine_code, Dose.dose_number, Dose.date).where(
                    Dose.child_id.in_([r[0] for r in rows]), Dose.deleted.is_(False)
                )
            ):
                vac = cat.get(code)
                doses[cid].append(DoseFacts(code, vac.abbr if vac else code, number, day))
        for r in rows:
            facts = ChildFacts(r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10])
            for kind, detail in child_quality(facts, today) + dose_quality(r[4], doses.get(r[0], [])):
                yield QualityIssue(kind, r[1], r[2], detail)
        last = rows[-1][0]


def quality_report(db: Database, today: date | None = None, *, limit_per_kind: int | None = 100) -> QualityReport:
    """The data-quality report (数据质量): counts per kind and the first issues of each kind."""
    counts: Counter[str] = Counter()
    kept: list[QualityIssue] = []
    for issue in iter_quality_issues(db, today):
        counts[issue.kind] += 1
        if limit_per_kind is None or counts[issue.kind] <= limit_per_kind:
            kept.append(issue)
    with db.session() as s:
        checked = int(s.scalar(select(func.count()).select_from(Child).where(Child.deleted.is_(False))) or 0)
        trace = tuple(trace_quality(s))
    order = list(QUALITY_KINDS)
    kept.sort(key=lambda i: (order.index(i.kind), i.child_code))
    return QualityReport(checked, {k: counts.get(k, 0) for k in QUALITY_KINDS}, tuple(kept), trace)
