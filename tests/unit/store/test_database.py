"""The database file: pragmas, migrations, refusing newer or foreign files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from epimanager.errors import DatabaseError
from epimanager.store.database import open_database
from epimanager.store.engine import make_engine, writer
from epimanager.store.migrate import alembic_config, script_heads


def test_connections_use_wal_full_sync_and_foreign_keys(db_path: Path) -> None:
    db = open_database(db_path)
    try:
        with db.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        db.close()


def test_a_new_database_is_at_the_latest_schema(db_path: Path) -> None:
    con = sqlite3.connect(db_path)
    revs = {r[0] for r in con.execute("SELECT version_num FROM alembic_version")}
    con.close()
    assert revs == script_heads()


def test_missing_database_is_an_error_not_a_silent_new_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.sqlite"
    with pytest.raises(DatabaseError, match="数据库文件不存在"):
        open_database(missing)
    assert not missing.exists()


def test_database_from_a_newer_version_is_refused_and_untouched(db_path: Path) -> None:
    con = sqlite3.connect(db_path)
    con.execute("INSERT INTO alembic_version (version_num) VALUES ('9999_future')")
    con.commit()
    con.close()
    before = db_path.read_bytes()
    with pytest.raises(DatabaseError, match="更新版本"):
        open_database(db_path)
    assert db_path.read_bytes() == before


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    bogus = tmp_path / "x.sqlite"
    bogus.write_bytes(b"this is a spreadsheet, not a database" * 100)
    with pytest.raises(DatabaseError, match="不是有效的数据库"):
        open_database(bogus)


def test_a_foreign_sqlite_database_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    with pytest.raises(DatabaseError, match="不是 EpiManager 数据库"):
        open_database(other)


def _make_old_revision_db(path: Path) -> None:
    """A database at the first revision, holding a unit, a child and a dose."""
    engine = make_engine(path)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001_initial")
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO unit (code, name, level, county_code) VALUES ('3201020101', '老门诊', 4, '320102');")
        )
        conn.execute(text("INSERT INTO app_config (key, value) VALUES ('own_unit_code', '3201020101')"))
        conn.execute(
            text(
                "INSERT INTO child (id, uuid, code, name, sex, birth_date, residence, status, managing_unit,"
                " created_unit, mother_hbsag, mother_name, created_at, updated_at, version, deleted) VALUES"
                " (1, 'u-1', '320102010120200001', '单丽', '2', '2020-05-01', 1, 1, '3201020101', '3201020101',"
                " '0', '王芳', '2020-05-01 10:00:00', '2020-05-01 10:00:00', 1, 0)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO dose (uuid, child_id, vaccine_code, dose_number, date, attribute, free, created_at,"
                " updated_at, version, deleted) VALUES ('d-1', 1, '0201', 1, '2020-05-01', 0, 1,"
                " '2020-05-01 10:00:00', '2020-05-01 10:00:00', 1, 0)"
            )
        )
        # the old release indexed the default reading only
        conn.execute(text("INSERT INTO child_search_key (key, child_id, kind) VALUES ('danli', 1, 1)"))
    engine.dispose()


def test_old_revision_database_is_backed_up_then_migrated_keeping_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    _make_old_revision_db(path)
    old_bytes_backup_dir = tmp_path / "backups"
    db = open_database(path)
    try:
        assert db.migrated_from_backup is not None
        assert db.migrated_from_backup.parent == old_bytes_backup_dir
        with db.engine.connect() as conn:
            revs = {r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))}
            assert revs == script_heads()
            assert conn.execute(text("SELECT name, mother_name FROM child")).one() == ("单丽", "王芳")
            assert conn.execute(text("SELECT vaccine_code, date FROM dose")).one() == ("0201", "2020-05-01")
            keys = {r[0] for r in conn.execute(text("SELECT key FROM child_search_key WHERE child_id = 1"))}
        # the migration recomputed keys with the surname reading
        assert "shanli" in keys
    finally:
        db.close()
    # the backup is the untouched old database
    con = sqlite3.connect(db.migrated_from_backup)
    assert {r[0] for r in con.execute("SELECT version_num FROM alembic_version")} == {"0001_initial"}
    assert con.execute("SELECT count(*) FROM child").fetchone() == (1,)
    con.close()
    # a second start does not migrate or back up again
    db2 = open_database(path)
    assert db2.migrated_from_backup is None
    db2.close()


def test_revisions_read_without_alembic_agree_with_alembic() -> None:
    """Start-up decides "migration due?" from the files alone; Alembic must see the same history."""
    from alembic.script import ScriptDirectory

    from epimanager.store.migrate import known_revisions

    script = ScriptDirectory.from_config(alembic_config())
    assert script_heads() == set(script.get_heads())
    assert known_revisions() == {rev.revision for rev in script.walk_revisions()}
    assert len(script_heads()) == 1  # the history stays linear


def test_a_locked_database_is_a_known_error_and_nothing_is_saved(db_path: Path) -> None:
    """Another program holds the write lock past the busy timeout: a message, not a crash; nothing half-saved."""
    from datetime import date

    from epimanager.domain.validation import ChildInput
    from epimanager.services.children import create_child

    db = open_database(db_path)
    db.engine.dispose()
    db.engine = make_engine(db_path, busy_timeout_ms=50)  # the test need not wait the 10 s a desk waits
    db.sessions.configure(bind=db.engine)
    db.writers.configure(bind=writer(db.engine))
    blocker = sqlite3.connect(db_path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(DatabaseError, match="数据库正忙") as err:
            create_child(db, ChildInput("张浩", "1", date(2026, 3, 1), mother_name="李梅"), today=date(2026, 3, 2))
        assert err.value.exit_code == 4
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    with db.session() as s:
        assert s.execute(text("SELECT count(*) FROM child")).scalar() == 0
    db.close()


def test_an_empty_or_truncated_file_is_refused_and_never_made_a_new_clinic(db_path: Path, tmp_path: Path) -> None:
    """#16 item 6: a 0-byte file used to be initialised silently as an empty clinic."""
    empty = tmp_path / "empty.sqlite"
    empty.write_bytes(b"")
    with pytest.raises(DatabaseError, match="文件不是有效的数据库或已损坏") as err:
        open_database(empty)
    assert err.value.exit_code == 4
    assert empty.stat().st_size == 0  # untouched
    truncated = tmp_path / "truncated.sqlite"
    truncated.write_bytes(db_path.read_bytes()[:50_000])
    with pytest.raises(DatabaseError, match="文件不是有效的数据库或已损坏"):
        open_database(truncated)


def test_a_migration_file_s_revision_is_read_from_either_assignment_form(tmp_path: Path) -> None:
    """The one reader serves start-up and upgrade packages (whose files may use Alembic's newer template)."""
    from epimanager.store.revisions import revision_of

    plain = tmp_path / "a.py"
    plain.write_text('revision = "0011_x"\ndown_revision = "0010_syringes"\n', encoding="utf-8")
    typed = tmp_path / "b.py"
    typed.write_text('revision: str = "0012_y"\ndown_revision: str | None = "0011_x"\n', encoding="utf-8")
    broken = tmp_path / "c.py"
    broken.write_text("revision = (\n", encoding="utf-8")
    assert revision_of(plain) == ("0011_x", ("0010_syringes",))
    assert revision_of(typed) == ("0012_y", ("0011_x",))
    assert revision_of(broken) is None


def test_closing_also_closes_a_connection_another_thread_is_using(db_path: Path) -> None:
    """A window's background read held a connection while a restore closed the database: that
    connection went back to the discarded pool, stayed open, and the restore was refused as if
    another program held the file (now and then, whenever the garbage collector was late)."""
    from epimanager.store.sqlite_files import in_use

    db = open_database(db_path)
    reading = db.sessions()
    reading.execute(text("SELECT count(*) FROM child")).scalar()  # a read in progress elsewhere
    db.close()
    assert in_use(db_path)  # it really is still reading
    reading.close()  # the read ends: its connection is closed, not parked
    assert not in_use(db_path)
    with db.session() as s:  # the handle still works after close (a new pool)
        assert s.execute(text("SELECT count(*) FROM child")).scalar() == 0
    db.close()
