"""The clinic flow across processes: a ticket machine, 预检, 登记, two 接种台 and a 留观台 move 60 visits at
once on a clinic server (PostgreSQL) and on one SQLite file.

Every visit ends in exactly one final state, none is lost or served twice, every visit's events replay
through the rules to the state on record, and the day summary agrees with what the desks printed.
The desks (``tests/helpers/visit_desk.py``): 预检 never finds every 20th child (three 过号: cancelled),
登记 misses every 7th child once; 留观 is 0 minutes here, so the 留观台 releases at once.  The six desks
start together (each waits for one signal after its start-up), so tickets are taken while the first
ones are already called, and the two 接种台 take their children from one queue at the same time.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from epimanager.domain import visit as dv
from epimanager.domain.validation import ChildInput
from epimanager.paths import DbLocation, ServerUrl
from epimanager.services.children import create_child
from epimanager.services.config import visit_flow
from epimanager.services.visit_summary import summary
from epimanager.store.database import Database, open_database
from epimanager.store.models import Child
from epimanager.store.models_visit import Visit, VisitEvent
from tests.conftest import BACKENDS, clinic_location
from tests.helpers.cli import spawn_python

pytestmark = pytest.mark.slow  # every write takes the one write lock; each desk reads its queue before a call

VISITS = 60
DAY = date(2026, 3, 2)
DESKS = (("取号机", "取号"), ("预检台", "预检"), ("登记台", "登记"), ("1号接种台", "接种"), ("2号接种台", "接种"),
         ("留观台", "留观"))  # fmt: skip
NO_SHOWS = [i for i in range(VISITS) if i % 20 == 0]  # 预检 never finds them
MISSED_ONCE = [i for i in range(VISITS) if i % 7 == 3 and i % 20 != 0]  # 登记 misses them once


@pytest.fixture(params=BACKENDS)
def clinic(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DbLocation]:
    with ExitStack() as stack:
        yield clinic_location(request.param, tmp_path, stack)


def _prepare(db: Database) -> None:
    visit_flow.set_flow(db, observe_minutes=0)
    for i in range(VISITS):
        create_child(db, ChildInput(name=f"流程{i}", sex="1", birth_date=date(2025, 9, 1), mother_name="李梅"))


def _run_desks(location: DbLocation, go: Path) -> dict[str, list[tuple[str, str]]]:
    """Start every desk at once; what each printed, as (kind, ticket)."""
    loc = location.url if isinstance(location, ServerUrl) else str(location)
    start = str(time.time())
    env = {"EPIMANAGER_DESK_GO": str(go)}
    procs = {  # each forked from a process that imported the program already (not a fresh interpreter)
        name: spawn_python(
            "-m", "tests.helpers.visit_desk", loc, name, step, str(VISITS), DAY.isoformat(), start, env=env
        )
        for name, step in DESKS
    }
    for name, p in procs.items():  # every desk started: then all begin at once
        assert p.stdout is not None
        if p.stdout.readline() != "ready\n":
            raise AssertionError(f"{name}: {p.communicate(timeout=60)[1][-3000:]}")
    go.touch()
    out = {}
    for name, p in procs.items():
        stdout, stderr = p.communicate(timeout=600)
        assert p.returncode == 0, f"{name}: {stderr[-3000:]}"
        lines = stdout.splitlines()
        assert lines[-1] == "done", name
        out[name] = [(kind, ticket) for kind, ticket in (line.split() for line in lines[:-1])]
    return out


def _replay(events: list[VisitEvent], row: Visit, fl: dv.Flow) -> None:
    """The events, applied in order by the rules, lead to the visit on record; each starts where the last ended."""
    first, *rest = events
    assert (first.kind, first.from_step, first.from_status) == ("take", "取号", None)
    state = dv.take(row.ticket, dv.Event("take", first.at, booked=row.booked), fl)
    assert (state.step.value, state.status.value) == (first.to_step, first.to_status)
    for e in rest:
        assert (e.from_step, e.from_status) == (state.step.value, state.status.value), row.ticket
        step = dv.Step(e.to_step) if e.kind == "back" else None
        state = dv.apply(state, dv.Event(e.kind, e.at, e.operator, e.desk, step, e.reason), fl)
        assert (state.step.value, state.status.value) == (e.to_step, e.to_status), row.ticket
    assert state.final and (state.step.value, state.status.value, state.misses) == (row.step, row.status, row.misses)


def test_six_desks_move_60_visits_at_once(clinic: DbLocation, tmp_path: Path) -> None:
    db = open_database(clinic)
    try:
        _prepare(db)
        printed = _run_desks(clinic, tmp_path / "go")
        with db.session() as s:
            fl = visit_flow.flow_of(s)
            rows = {r.id: r for r in s.scalars(select(Visit).where(Visit.day == DAY))}
            chains: dict[int, list[VisitEvent]] = defaultdict(list)
            for e in s.scalars(select(VisitEvent).order_by(VisitEvent.id)):
                chains[e.visit_id].append(e)
            names = s.execute(select(Visit.ticket, Child.name).join(Child, Child.id == Visit.child_id)).all()
            moved_by = set()  # (what, at which step, which desk) of every event
            for row in rows.values():
                _replay(chains[row.id], row, fl)
                moved_by |= {(e.kind, e.from_step, e.desk) for e in chains[row.id]}
        ticket_of = {name: ticket for ticket, name in names}
        taken = [t for kind, t in printed["取号机"]]
        # none lost, none twice: one visit per child, every ticket taken once, all at one final state
        assert len(rows) == len(set(taken)) == len(taken) == VISITS
        assert {r.ticket for r in rows.values()} == set(taken)
        assert Counter(t[0] for t in taken) == {"Y": 15, "A": 45}  # every 4th booked: 0, 4, …, 56
        final = Counter(r.step for r in rows.values())
        assert final == {"完成": VISITS - len(NO_SHOWS), "取消": len(NO_SHOWS)}

        def did(desk: str, kind: str) -> list[str]:
            return [t for k, t in printed[desk] if k == kind]

        # every desk step finished each ticket exactly once; the two 接种台 never served the same child
        passed = sorted(r.ticket for r in rows.values() if r.step == "完成")
        for desk in ("预检台", "登记台", "留观台"):
            assert sorted(did(desk, "finish")) == passed, desk
        one, two = did("1号接种台", "finish"), did("2号接种台", "finish")
        assert not set(one) & set(two) and sorted(one + two) == passed
        assert one and two  # both took children from the one queue while the other was serving
        assert did("1号接种台", "start") == one and did("2号接种台", "start") == two
        # each change is recorded at the desk that made it (every process's handle names its desk)
        assert moved_by == {
            ("take", "取号", "取号机"),
            *((kind, "预检", "预检台") for kind in ("call", "miss", "finish")),
            *((kind, "登记", "登记台") for kind in ("call", "miss", "finish")),
            *((kind, "接种", desk) for kind in ("call", "start", "finish") for desk in ("1号接种台", "2号接种台")),
            ("finish", "留观", "留观台"),
        }
        # the misses the desks printed: three for each no-show at 预检, one for each at 登记
        no_shows = sorted(r.ticket for r in rows.values() if r.step == "取消")
        assert Counter(did("预检台", "miss")) == dict.fromkeys(no_shows, 3)
        assert sorted(no_shows) == sorted(ticket_of[f"流程{i}"] for i in NO_SHOWS)
        assert sorted(did("登记台", "miss")) == sorted(ticket_of[f"流程{i}"] for i in MISSED_ONCE)
        # the day summary agrees with the desks
        day = summary(db, DAY)
        assert (day.tickets, day.booked) == (VISITS, 15)
        assert day.by_step == {"预检": 0, "登记": 0, "接种": 0, "留观": 0, "完成": len(passed), "取消": len(no_shows)}
        assert sorted(day.no_shows) == no_shows
        called = {
            "预检": len(set(did("预检台", "call"))),
            "登记": len(set(did("登记台", "call"))),
            "接种": len(set(did("1号接种台", "call")) | set(did("2号接种台", "call"))),
        }
        assert called == {"预检": VISITS, "登记": len(passed), "接种": len(passed)}
        assert {w.step: w.count for w in day.waits} == called
        assert day.short_observation == []
    finally:
        db.close()
