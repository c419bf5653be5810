"""表6-1 is the same report on the standalone file and on the clinic server for the same clinic.

The two backends find the children to forecast with different queries and read their doses differently
(SQLite: IN lists through its index hints; PostgreSQL: arrays of ids), and the stored rows travel with
``server migrate``, so one clinic
is built on SQLite, moved onto the server, and every report compared: counted from the rows made on
the file, and from rows made on the server (the other tests check on both backends that the stored rows
give what a forecast of every child in full gives).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import text

from epimanager.services.demo import generate as demo
from epimanager.services.reports.report_6_1 import report_6_1
from epimanager.services.server import move_to_server
from epimanager.store.database import Database, open_database
from tests.conftest import server_database

TODAY = date(2026, 11, 26)
MONTHS = ("2025-11", "2026-09", "2026-10")


def _stored(db: Database) -> int:
    with db.session() as s:
        return int(s.execute(text("SELECT count(*) FROM report_state")).scalar_one())


def test_the_report_is_the_same_on_the_file_and_on_the_server(db_path: Path) -> None:
    lite = open_database(db_path)
    try:
        demo(lite, 300, seed=7, today=TODAY)
        on_file = {m: report_6_1(lite, m, today=TODAY)["rows"] for m in MONTHS}  # stores each child's rows
        assert _stored(lite) > 200
        assert on_file == {m: report_6_1(lite, m, today=TODAY)["rows"] for m in MONTHS}  # from those rows
    finally:
        lite.close()
    with server_database() as url:
        move_to_server(db_path, url)
        server = open_database(url)
        try:
            assert _stored(server) > 200  # moved as they were
            for m in MONTHS:
                # the month has children to count, several 区域划分 among them
                assert sum(sum(r["due"].values()) > 0 for r in on_file[m]) >= 2, m
                assert report_6_1(server, m, today=TODAY)["rows"] == on_file[m], m
            with server.transaction() as s:  # as after a schedule upgrade: every child's rows made anew
                s.execute(text("DELETE FROM report_due"))
                s.execute(text("DELETE FROM report_state"))
            for m in MONTHS:
                assert report_6_1(server, m, today=TODAY)["rows"] == on_file[m], m
            assert _stored(server) > 200
            assert {m: report_6_1(server, m, today=TODAY)["rows"] for m in MONTHS} == on_file
        finally:
            server.close()
