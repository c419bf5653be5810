"""A save on the clinic server is in the server's log when it returns, whatever the server's own
``synchronous_commit`` — even though the commit no longer waits for the disk under the clinic write
lock (``store.database._wait_durable``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import psycopg
import pytest

from epimanager.domain.validation import ChildInput
from epimanager.paths import ServerUrl, parse_db
from epimanager.services.children import create_child, get_child
from epimanager.services.units import init_database
from epimanager.store.database import open_database
from tests.helpers.pg import Cluster, bin_dir


@pytest.fixture
def lazy_server() -> Iterator[Cluster]:
    """A cluster of its own (it is crashed) whose log writer waits 10 s between writes, with commits
    not waiting for the log (the test cluster's ``synchronous_commit=off``): a commit nobody waited for
    is still in the server's memory when it is killed."""
    found = bin_dir()
    if found is None:
        pytest.skip("PostgreSQL is not installed here (installer/bootstrap-debian.sh --dev installs it)")
    cluster = Cluster(found, options="-c wal_writer_delay=10000").start()
    try:
        yield cluster
    finally:
        cluster.stop()


def test_a_child_saved_on_the_server_survives_the_server_crashing_right_after(lazy_server: Cluster) -> None:
    with psycopg.connect(lazy_server.url(), autocommit=True) as con:
        con.execute("CREATE DATABASE clinic")
    location = parse_db(lazy_server.url("clinic"))
    assert isinstance(location, ServerUrl)
    init_database(location, "3201020101", "测试接种门诊")
    lazy_server.crash()  # the set-up is on disk from here on: only the save below is at stake
    lazy_server.resume()
    db = open_database(location)
    code = create_child(db, ChildInput("王小明", "1", date(2026, 11, 20), mother_name="李梅"), user="护士甲").code
    lazy_server.crash()  # at once, as a power cut of the server PC after the nurse saw "已保存"
    db.close()
    lazy_server.resume()
    db = open_database(location)
    try:
        assert get_child(db, code).name == "王小明"
    finally:
        db.close()
