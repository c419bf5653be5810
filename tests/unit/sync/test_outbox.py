"""Every child/dose change adds or refreshes one outbox row in the same transaction."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import select, text

from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.errors import ValidationError
from epimanager.services.children import create_child, update_child
from epimanager.services.demo import generate
from epimanager.services.doses import add_dose, delete_dose, update_dose
from epimanager.services.importer import import_children, import_doses
from epimanager.store.database import Database, open_database
from epimanager.store.engine import make_engine
from epimanager.store.migrate import alembic_config
from epimanager.store.models import Child
from epimanager.sync import queue

TODAY = date(2026, 11, 26)


def outbox(db: Database) -> list[tuple[str, str, int, str]]:
    with db.session() as s:
        rows = s.execute(text("SELECT kind, uuid, version, state FROM sync_outbox ORDER BY id")).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def new_child(db: Database, name: str = "张浩") -> str:
    return create_child(db, ChildInput(name, "1", date(2026, 3, 1), mother_name="李梅"), today=TODAY).code


def test_a_new_child_is_queued_once_and_edits_refresh_the_same_row(db: Database) -> None:
    code = new_child(db)
    [(kind, uuid, version, state)] = outbox(db)
    assert (kind, version, state) == ("child", 1, "pending")
    update_child(db, code, {"phone": "13812345678", "address": "东风村 3 组"}, today=TODAY)
    update_child(db, code, {"name": "张皓"}, today=TODAY)
    assert outbox(db) == [("child", uuid, 3, "pending")]


def test_dose_add_edit_and_soft_delete_are_queued_with_their_versions(db: Database) -> None:
    code = new_child(db)
    d = add_dose(db, code, DoseInput("HepB", 1, date(2026, 3, 1)), today=TODAY)
    assert ("dose", d.uuid, 1, "pending") in outbox(db)
    update_dose(db, d.uuid, {"batch_no": "B2"}, today=TODAY)
    delete_dose(db, d.uuid, reason="录错")
    doses = [r for r in outbox(db) if r[0] == "dose"]
    assert doses == [("dose", d.uuid, 3, "pending")]


def test_a_refused_change_leaves_no_outbox_row(db: Database) -> None:
    with pytest.raises(ValidationError):
        create_child(db, ChildInput("张浩", "1", date(2030, 1, 1), mother_name="李梅"), today=TODAY)
    assert outbox(db) == []


def test_a_status_change_is_also_recorded_as_its_own_event(db: Database) -> None:
    code = new_child(db)
    with db.transaction() as s:
        child = s.scalars(select(Child).where(Child.code == code)).one()
        child.status = 2
        child.version += 1
    rows = outbox(db)
    assert [(r[0], r[2]) for r in rows] == [("child", 2), ("status", 1)]
    with db.session() as s:
        payload = json.loads(s.execute(text("SELECT payload FROM sync_outbox WHERE kind = 'status'")).scalar_one())
    assert (payload["chhe_chil_code"], payload["chhe_prehere"], payload["chhe_here"]) == (code, "1", "2")


def test_bulk_import_and_demo_queue_every_record_in_their_transaction(db: Database, tmp_path: Path) -> None:
    children = tmp_path / "c.csv"
    children.write_text(
        "name,sex,birth_date,mother_name,father_name,phone,id_number,address,committee,residence\n"
        "王一,男,2025-01-02,李红,,,,,,\n王二,女,2025-02-03,李红,,,,,,\n",
        encoding="utf-8",
    )
    import_children(db, children, today=TODAY)
    with db.session() as s:
        code = s.scalars(select(Child.code).order_by(Child.id)).first()
    doses = tmp_path / "d.csv"
    doses.write_text(
        f"child_code,vaccine,dose_number,date,batch,manufacturer,site,unit_code\n{code},HepB,1,2025-01-02,,,,\n",
        encoding="utf-8",
    )
    import_doses(db, doses, today=TODAY)
    assert [(r[0], r[3]) for r in outbox(db)] == [("child", "pending")] * 2 + [("dose", "pending")]
    report = generate(db, 20, seed=3, today=TODAY)
    assert queue.status(db).pending == 3 + report.children + report.doses


def test_migrating_an_old_database_queues_what_it_already_holds(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    engine = make_engine(path)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0002_search")
        conn.execute(text("INSERT INTO app_config (key, value) VALUES ('own_unit_code', '3201020101')"))
        conn.execute(
            text(
                "INSERT INTO child (id, uuid, code, name, sex, birth_date, residence, status, managing_unit,"
                " created_unit, mother_hbsag, mother_name, created_at, updated_at, version, deleted) VALUES"
                " (1, 'c-1', '320102010120200001', '单丽', '2', '2020-05-01', 1, 1, '3201020101', '3201020101',"
                " '0', '王芳', '2020-05-01 10:00:00', '2020-05-01 10:00:00', 4, 0)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO dose (uuid, child_id, vaccine_code, dose_number, date, attribute, free, created_at,"
                " updated_at, version, deleted) VALUES ('d-1', 1, '0201', 1, '2020-05-01', 0, 1,"
                " '2020-05-01 10:00:00', '2020-05-01 10:00:00', 1, 0)"
            )
        )
    engine.dispose()
    db = open_database(path)
    try:
        assert outbox(db) == [("child", "c-1", 4, "pending"), ("dose", "d-1", 1, "pending")]
    finally:
        db.close()
    con = sqlite3.connect(path)
    assert con.execute("SELECT COUNT(*) FROM sync_batch").fetchone() == (0,)
    con.close()


def test_an_edit_while_its_batch_is_in_flight_is_sent_again_later(db: Database) -> None:
    code = new_child(db)
    batch = queue.claim(db, db.own_unit_code(), 10)
    assert batch is not None and batch.records == 1
    update_child(db, code, {"phone": "13812345678"}, today=TODAY)
    [(_, uuid, version, state)] = outbox(db)
    assert (version, state) == (2, "pending")
    body = json.loads(batch.body)
    # the platform accepts version 1 (the batch as claimed) …
    queue.ack(db, batch.key, [{"uuid": uuid, "version": 1, "status": "accepted"}])
    # … but version 2 still waits
    assert outbox(db) == [("child", uuid, 2, "pending")]
    assert body["records"][0]["version"] == 1


SESSIONMAKER_LOOP = """
import gc, sys
from datetime import date
from pathlib import Path
from sqlalchemy.orm import sessionmaker
from epimanager.domain.validation import ChildInput
from epimanager.services.children import create_child
from epimanager.store.database import open_database
from epimanager.store.outbox import install_outbox
from epimanager.sync import queue

db = open_database(Path(sys.argv[1]))
seen, reused = set(), 0
for i in range(150):
    db.sessions = install_outbox(sessionmaker(db.engine, expire_on_commit=False))
    reused += id(db.sessions.class_) in seen
    seen.add(id(db.sessions.class_))
    create_child(db, ChildInput(f"王{i}", "1", date(2026, 3, 1), mother_name="李梅"), today=date(2026, 11, 26))
    assert queue.count_waiting(db) == i + 1, f"change {i + 1} was not queued"
    gc.collect()
    if i == 0:
        gc.freeze()  # the modules and pinyin tables loaded so far: later collections skip them
db.close()
print("ok" if reused else "no class id was reused: the test did not reach the case it is for")
"""


def test_every_new_sessionmaker_queues_its_changes(db_path: Path) -> None:
    """Each opened database gets a fresh sessionmaker; none may lose the outbox hook.

    A guard based on ``event.contains`` used to skip the registration when a new sessionmaker's
    class reused the id() of a collected one (258 of 300 here): changes were then silently not
    queued for upload.  Run in a fresh interpreter: ``gc.collect()`` 150 times on the whole test
    session's heap took a minute.
    """
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", SESSIONMAKER_LOOP, str(db_path)],
        cwd=Path(__file__).resolve().parents[3],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
