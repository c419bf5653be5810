"""What the two backends must agree on beneath the services: a read that needs one snapshot gets one,
and the server's connections are set up as the program needs them."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text

from epimanager.domain.validation import ChildInput
from epimanager.paths import ServerUrl
from epimanager.services.children import create_child
from epimanager.store.database import Database, open_database
from epimanager.store.dialect import analyze, one_snapshot, open_reader


def _children(s: object) -> int:
    return int(s.execute(text("SELECT count(*) FROM child")).scalar_one())  # type: ignore[attr-defined]


def test_one_snapshot_does_not_see_what_another_desk_commits_meanwhile(db: Database) -> None:
    create_child(db, ChildInput("王一", "1", date(2026, 1, 5), mother_name="王芳"))
    with db.session() as s:
        one_snapshot(s)
        assert _children(s) == 1
        create_child(db, ChildInput("王二", "2", date(2026, 2, 5), mother_name="李红"))  # another connection
        assert _children(s) == 1  # (PostgreSQL's READ COMMITTED would see 2 here)
    with db.session() as s:
        assert _children(s) == 2


def test_server_connections_compile_no_query_with_jit(pg_location: ServerUrl) -> None:
    db = open_database(pg_location)
    try:
        with db.session() as s:
            assert s.execute(text("SHOW jit")).scalar_one() == "off"
    finally:
        db.close()
    reader = open_reader(pg_location)  # the 表6-1 workers' connection
    try:
        assert reader.execute("SHOW jit").fetchone() == ("off",)
    finally:
        reader.close()


def test_analyze_gives_the_server_planner_the_rows_just_written(pg_location: ServerUrl) -> None:
    db = open_database(pg_location)
    try:
        for n in range(3):
            create_child(db, ChildInput(f"王{n}", "1", date(2026, 1, 5 + n), mother_name="王芳"))
        analyze(db.engine, "child", "dose")
        with db.session() as s:
            # what the planner believes the table holds (-1: never analysed)
            assert s.execute(text("SELECT reltuples FROM pg_class WHERE relname = 'child'")).scalar_one() == 3
    finally:
        db.close()
