"""One desk of a clinic in its own process: register children, then save doses through the services.

``python -m tests.helpers.desk LOCATION DESK N_CHILDREN N_DOSES OFFSET``: prints ``child CODE`` for each
child registered and ``dose UUID`` for each dose after its commit (what a killed desk printed must be
on record afterwards).  With ``EPIMANAGER_DESK_GO=PATH`` a desk says ``ready`` once started and saves
only when that file exists.  Doses go to the shared children ``shared.txt`` names, each on a day no other
desk uses, all from batch ``B-DESKS`` — or, with ``EPIMANAGER_DESK_TODAY`` set (a benchmark), all dated today
as a clinic's desks record them.
"""

from __future__ import annotations

import inspect
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.paths import parse_db
from epimanager.services.children import create_child
from epimanager.services.doses import add_dose
from epimanager.store.database import open_database

FIRST_DAY = date(2020, 1, 2)


def main() -> None:
    location, desk, n_children, n_doses, offset = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:6])
    shared = sys.argv[6].split(",") if len(sys.argv) > 6 and sys.argv[6] else []
    db = open_database(parse_db(location))
    db.desk = desk
    extra: dict[str, Any] = {"confirm_invalid": True}  # the dates are about storage, not the schedule
    if "confirm_duplicate" in inspect.signature(add_dose).parameters:
        extra["confirm_duplicate"] = True
    for i in range(n_children):
        inp = ChildInput(name=f"{desk}{i}", sex="1", birth_date=date(2019, 6, 1), mother_name="李梅")
        sys.stdout.write(f"child {create_child(db, inp, user=desk).code}\n")
        sys.stdout.flush()
    go = os.environ.get("EPIMANAGER_DESK_GO")
    if go:  # a benchmark starts every desk's saves at once, after their start-up
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        while not Path(go).exists():
            time.sleep(0.005)
    today = bool(os.environ.get("EPIMANAGER_DESK_TODAY"))
    for i in range(n_doses):
        code = shared[(i + offset) % len(shared)]
        day = date.today() if today else FIRST_DAY + timedelta(days=offset + i)
        inp = DoseInput("HepB", 1, day, batch_no="B-DESKS", manufacturer="北京天坛", expiry=date(2030, 1, 1))
        dose = add_dose(db, code, inp, user=desk, **extra)
        sys.stdout.write(f"dose {dose.uuid}\n")
        sys.stdout.flush()
    db.close()


if __name__ == "__main__":
    main()
