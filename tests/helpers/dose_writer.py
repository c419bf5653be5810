"""Record doses one at a time through the service; print each dose's UUID after commit.

Used by the crash test: whatever this process printed before it was killed
must be in the database afterwards.
"""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path

from epimanager.domain.validation import DoseInput
from epimanager.services.doses import add_dose
from epimanager.store.database import open_database


def main() -> None:
    db = open_database(Path(sys.argv[1]))
    child_code = sys.argv[2]
    start = date(2020, 1, 1)
    i = 0
    while True:
        # dose numbers and dates cycle, so most would not count: confirmed, as the crash test is about storage
        inp = DoseInput("HepB", 1 + i % 3, start + timedelta(days=i % 2000))
        dose = add_dose(db, child_code, inp, confirm_invalid=True, confirm_duplicate=True)
        sys.stdout.write(dose.uuid + "\n")
        sys.stdout.flush()
        i += 1


if __name__ == "__main__":
    main()
