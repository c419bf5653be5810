"""One desk of the clinic flow in its own process, moving tickets through the services until none is left.

``python -m tests.helpers.visit_desk LOCATION DESK STEP TOTAL DAY START``

* ``STEP`` ``取号``: takes a ticket for every child named ``流程0`` … ``流程{TOTAL-1}`` (every 4th booked);
* ``预检`` / ``登记`` / ``接种``: calls the next ticket of its step and finishes it (接种: call, start,
  finish); 预检 never finds ``流程i`` with ``i % 20 == 0`` (过号 each time: cancelled at the third), 登记
  misses ``i % 7 == 3`` once;
* ``留观``: releases every child in observation (the clinic's ``observe_minutes`` is 0 in the tests).

A desk stops when all ``TOTAL`` tickets are taken and none is left at its step or before it.  The
clock is injected: ``DAY`` at 08:00 plus the seconds since the epoch time ``START`` (shared by all
desks of a run), so a run never crosses midnight.  After each commit the desk prints
``<kind> <ticket>`` (take / call / miss / start / finish); at the end ``done``.  With
``EPIMANAGER_DESK_GO=PATH`` a desk says ``ready`` once started and begins only when that file exists
(every desk of a run starts moving tickets at the same moment, whatever its start-up took).
"""

from __future__ import annotations

import os
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from epimanager.domain import visit as dv
from epimanager.errors import NotFoundError
from epimanager.paths import parse_db
from epimanager.services import visits
from epimanager.store.database import Database, open_database
from epimanager.store.models import Child

#: How long an idle desk waits before asking for work again.
IDLE_S = 0.1


def child_index(name: str) -> int:
    return int(name.removeprefix("流程"))


def never_comes(i: int, step: dv.Step) -> bool:
    """This child does not answer this step's call (预检: never; 登记: once)."""
    return (step is dv.Step.PRECHECK and i % 20 == 0) or (step is dv.Step.REGISTER and i % 7 == 3)


class Desk:
    def __init__(self, db: Database, step: str, total: int, day: date, start: float) -> None:
        self.db, self.total, self.day, self.start = db, total, day, start
        self.step = dv.Step.TAKE if step == dv.Step.TAKE.value else dv.parse_step(step)
        self.missed: set[str] = set()

    def now(self) -> datetime:
        return datetime.combine(self.day, datetime.min.time()) + timedelta(hours=8, seconds=time.time() - self.start)

    def say(self, kind: str, ticket: str) -> None:
        sys.stdout.write(f"{kind} {ticket}\n")
        sys.stdout.flush()

    def work_left(self) -> bool:
        """Tickets still to take, or tickets at this step or before it."""
        found = visits.list_visits(self.db, day=self.day)
        if len(found) < self.total:
            return True
        upto = {s.value for s in dv.DESK_STEPS[: dv.DESK_STEPS.index(self.step) + 1]}
        return any(v.step in upto for v in found)

    def take_all(self) -> None:
        with self.db.session() as s:
            codes = dict(s.execute(select(Child.name, Child.code).where(Child.name.like("流程%"))).all())
        for i in range(self.total):
            record = visits.take(self.db, codes[f"流程{i}"], booked=i % 4 == 0, now=self.now())
            self.say("take", record.ticket)

    def serve_one(self) -> bool:
        """Call and finish one ticket (or miss it); False when nobody is waiting.

        The desk looks at its queue first (a read), as a nurse does, and calls only when someone waits.
        """
        queue = visits.list_visits(self.db, self.step, day=self.day)
        if not any(v.status == dv.Status.WAITING.value for v in queue):
            return False
        try:
            record = visits.call(self.db, None, self.step, now=self.now())
        except NotFoundError:
            return False
        self.say("call", record.ticket)
        i = child_index(record.child_name)
        if never_comes(i, self.step) and (self.step is dv.Step.PRECHECK or record.ticket not in self.missed):
            self.missed.add(record.ticket)
            self.say("miss", visits.miss(self.db, record.ticket, now=self.now()).ticket)
            return True
        if self.step is dv.Step.INOCULATE:
            self.say("start", visits.start(self.db, record.ticket, now=self.now()).ticket)
        self.say("finish", visits.finish(self.db, record.ticket, now=self.now()).ticket)
        return True

    def release_observed(self) -> bool:
        waiting = visits.list_visits(self.db, dv.Step.OBSERVE, day=self.day)
        for v in waiting:
            self.say("finish", visits.finish(self.db, v.ticket, now=self.now()).ticket)
        return bool(waiting)

    def run(self) -> None:
        if self.step is dv.Step.TAKE:
            self.take_all()
            return
        work = self.release_observed if self.step is dv.Step.OBSERVE else self.serve_one
        while True:
            if not work():
                if not self.work_left():
                    return
                time.sleep(IDLE_S)


def main() -> None:
    location, desk, step, total, day, start = sys.argv[1:7]
    db = open_database(parse_db(location))
    db.desk = desk
    go = os.environ.get("EPIMANAGER_DESK_GO")
    if go:
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        while not Path(go).exists():
            time.sleep(0.005)
    try:
        Desk(db, step, int(total), date.fromisoformat(day), float(start)).run()
    finally:
        db.close()
    sys.stdout.write("done\n")


if __name__ == "__main__":
    main()
