"""Counts shown on the main window and status bar."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from epimanager.domain.codes import MANAGED_STATUSES
from epimanager.store.database import Database
from epimanager.store.models import Child, Dose


@dataclass(frozen=True)
class Summary:
    children: int
    managed: int
    doses: int


def summary(db: Database) -> Summary:
    with db.session() as s:
        alive = Child.deleted.is_(False)
        children = s.scalar(select(func.count()).select_from(Child).where(alive)) or 0
        managed = (
            s.scalar(
                select(func.count())
                .select_from(Child)
                .where(alive, Child.status.in_([int(x) for x in MANAGED_STATUSES]))
            )
            or 0
        )
        doses = s.scalar(select(func.count()).select_from(Dose).where(Dose.deleted.is_(False))) or 0
    return Summary(children, managed, doses)
