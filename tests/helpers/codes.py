"""A birth year's child codes taken directly, as years of registrations would take them."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from epimanager.store.database import Database
from epimanager.store.models import Child

UNIT = "3201020101"


def fill_year(db: Database, year: int, made: date, *, free: Collection[int] = ()) -> None:
    """Children with every serial 1–9,999 of ``year`` at unit 3201020101 but ``free`` (the serial counter
    is not told: the services must find out)."""
    with db.transaction() as s:
        s.execute(
            Child.__table__.insert(),
            [
                {
                    "uuid": f"00000000-0000-7000-8000-{n:012d}",
                    "code": f"{UNIT}{year:04d}{n:04d}",
                    "name": "某",
                    "sex": "1",
                    "birth_date": date(year, 1, 1),
                    "residence": 1,
                    "status": 1,
                    "managing_unit": UNIT,
                    "created_unit": UNIT,
                    "mother_hbsag": "0",
                    "created_at": made,
                    "updated_at": made,
                    "version": 1,
                    "deleted": False,
                }
                for n in range(1, 10000)
                if n not in free
            ],
        )
