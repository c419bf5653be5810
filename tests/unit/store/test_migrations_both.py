"""One linear migration history on both backends: every revision upgrades (and downgrades) on SQLite and
on PostgreSQL, with data in the tables, and a migration is all or nothing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from epimanager.paths import DbLocation
from epimanager.store.engine import make_engine
from epimanager.store.migrate import alembic_config
from tests.conftest import BACKENDS, server_database


@pytest.fixture(params=BACKENDS)
def empty(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    with ExitStack() as stack:
        loc: DbLocation = stack.enter_context(server_database()) if request.param == "postgresql" else tmp_path / "m.db"
        engine = make_engine(loc)
        yield engine
        engine.dispose()


def _revisions() -> list[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def _to(engine: Engine, target: str, *, down: bool = False) -> None:
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, target)


def test_every_revision_upgrades_and_downgrades_on_both_backends(empty: Engine) -> None:
    revisions = _revisions()
    assert len(revisions) >= 11 and revisions[0] == "0001_initial"
    _to(empty, revisions[0])
    with empty.begin() as conn:  # a clinic with a child and a dose before the later revisions run
        conn.execute(
            text("INSERT INTO unit (code, name, level, county_code) VALUES ('3201020101', '门诊', 4, '320102')")
        )
        conn.execute(
            text(
                "INSERT INTO child (uuid, code, name, sex, birth_date, residence, status, managing_unit, created_unit, "
                "mother_hbsag, created_at, updated_at, version, deleted) VALUES ('u1', '320102010120200001', '单丽', "
                "'2', '2020-03-01', 1, 1, '3201020101', '3201020101', '0', '2020-03-01 10:00:00', "
                "'2020-03-01 10:00:00', 1, false)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO dose (uuid, child_id, vaccine_code, dose_number, date, attribute, free, created_at, "
                "updated_at, version, deleted) VALUES ('d1', 1, '0201', 1, '2020-03-01', 0, true, "
                "'2020-03-01 10:00:00', '2020-03-01 10:00:00', 1, false)"
            )
        )
    for rev in revisions[1:]:
        _to(empty, rev)
    with empty.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == revisions[-1]
        assert conn.execute(text("SELECT name FROM child")).scalar() == "单丽"
        # 0004 queued what was there before it; 0002 indexed the name with the surname reading
        assert conn.execute(text("SELECT count(*) FROM sync_outbox")).scalar() == 2
        assert "shanli" in {r[0] for r in conn.execute(text("SELECT key FROM child_search_key"))}
    for rev in reversed(revisions[:-1]):
        _to(empty, rev, down=True)
    with empty.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0001_initial"
        assert conn.execute(text("SELECT count(*) FROM dose")).scalar() == 1


def test_a_failing_migration_leaves_the_database_as_it_was(empty: Engine) -> None:
    """DDL is transactional on both backends: a migration that fails half-way leaves no table behind
    and the version unchanged (a SIGKILL at that point is the same: nothing was committed)."""
    revisions = _revisions()
    _to(empty, revisions[2])
    with empty.begin() as conn:  # make 0004's data step fail after it created its tables
        conn.execute(text("CREATE TABLE sync_owner_probe (x integer)"))
    with pytest.raises(Exception):  # noqa: B017 - the driver's error, whatever it is
        cfg = alembic_config()
        with empty.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revisions[3])
            conn.execute(text("SELECT * FROM no_such_table"))  # fails inside the same transaction
    with empty.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == revisions[2]
        tables = set(conn.dialect.get_table_names(conn))
    assert "sync_outbox" not in tables
