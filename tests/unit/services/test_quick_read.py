"""One-shot CLI reads (search, child show) through the read-only quick reader."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.errors import DatabaseError, NotFoundError
from epimanager.services.children import create_child, get_child
from epimanager.services.doses import add_dose
from epimanager.services.quick_read import child_by_code, reading
from epimanager.services.search import search, search_rows
from epimanager.store.database import Database
from epimanager.store.quick import open_reader
from epimanager.store.revisions import script_heads

REPO = Path(__file__).resolve().parents[3]


def _child_with_doses(db: Database) -> str:
    child = create_child(
        db,
        ChildInput(
            name="徐琳瑶",
            sex="2",
            birth_date=date(2025, 1, 31),
            mother_name="王芳",
            phone="13800000000",
            committee="东风村",
            birth_weight_kg=3.2,
        ),
        today=date(2025, 6, 1),
    )
    add_dose(db, child.code, DoseInput("HepB", 1, date(2025, 1, 31), batch_no="B202401"), today=date(2025, 6, 1))
    add_dose(
        db,
        child.code,
        DoseInput("BCG", 1, date(2025, 2, 1), free=False, expiry=date(2026, 1, 1)),
        today=date(2025, 6, 1),
    )
    return child.code


def test_child_show_reads_the_same_record_as_the_service(db: Database, db_path: Path) -> None:
    code = _child_with_doses(db)
    expected = get_child(db, code)
    with reading(db_path) as rows:
        quick = child_by_code(rows, code)
    assert quick == expected  # same types too: dates, datetimes, booleans, the 区域划分 name
    assert quick.committee == "东风村"
    assert [(d.vaccine_abbr, d.dose_number, d.free) for d in quick.doses] == [("HepB", 1, True), ("BCG", 1, False)]
    with reading(db_path) as rows, pytest.raises(NotFoundError, match="找不到儿童编码"):
        child_by_code(rows, "320102010120259999")


def test_search_gives_the_same_rows_through_either_reader(db: Database, db_path: Path) -> None:
    _child_with_doses(db)
    for query in ("xly", "徐", "2025-01", "13800000000", "wangf"):
        with reading(db_path) as rows:
            assert search_rows(rows, query) == search(db, query), query


def test_an_older_database_is_migrated_before_the_quick_read(db_path: Path) -> None:
    from alembic import command

    from epimanager.store.engine import make_engine
    from epimanager.store.migrate import alembic_config

    engine = make_engine(db_path)
    cfg = alembic_config()
    with engine.begin() as conn:  # the database as the previous release left it
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0007_users")
    engine.dispose()
    assert open_reader(db_path) is None  # not at this program's schema: no quick read
    with reading(db_path) as rows:
        assert {r[0] for r in rows.rows("SELECT version_num FROM alembic_version")} == script_heads()


def test_a_missing_or_damaged_file_gets_the_ordinary_message(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="数据库文件不存在"), reading(tmp_path / "none.sqlite"):
        pass
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"not a database at all" * 50)
    with pytest.raises(DatabaseError, match="不是有效的数据库"), reading(bad):
        pass


def test_search_and_child_show_never_import_sqlalchemy(db: Database, db_path: Path) -> None:
    """What keeps these two commands fast: the ORM (0.3 s to import) is not loaded at all."""
    code = _child_with_doses(db)
    script = (
        "import sys\n"
        "from epimanager.cli.main import main\n"
        f"assert main(['--db', {str(db_path)!r}, 'search', 'xly']) == 0\n"
        f"assert main(['--db', {str(db_path)!r}, 'child', 'show', {code!r}]) == 0\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'alembic', 'pypinyin')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, check=True, timeout=60
    ).stdout
    assert "徐琳瑶" in out
    assert out.strip().splitlines()[-1] == "[]"
