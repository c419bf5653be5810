"""The hand-written 0003_stock migration creates exactly the tables of models_stock."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from epimanager.services.stock import catalog, movements
from epimanager.store import models_stock
from epimanager.store.database import open_database
from epimanager.store.engine import make_engine
from epimanager.store.migrate import alembic_config
from epimanager.store.models import Base

STOCK_TABLES = {t.name for t in Base.metadata.sorted_tables if t.name.startswith("stock_")}


def _stock_diffs(diff: list) -> list:  # type: ignore[type-arg]
    return [d for d in diff if "stock_" in repr(d)]


def test_migration_matches_the_models(db_path: Path) -> None:
    assert models_stock.StockMovement.__tablename__ in STOCK_TABLES
    assert {
        "stock_product",
        "stock_product_code",
        "stock_batch",
        "stock_movement",
        "stock_syringe_shortage",
    } == STOCK_TABLES
    engine = make_engine(db_path)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            assert _stock_diffs(compare_metadata(ctx, Base.metadata)) == []
            checks = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'stock_batch'")).scalar()
    finally:
        engine.dispose()
    assert "CONSTRAINT ck_stock_batch_quantity CHECK (quantity >= 0)" in checks


def test_an_older_database_gains_empty_stock_tables_and_keeps_its_doses(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    engine = make_engine(path)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0002_search")
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO unit (code, name, level, county_code) VALUES ('3201020101', '门诊', 4, '320102')")
        )
        conn.execute(text("INSERT INTO app_config (key, value) VALUES ('own_unit_code', '3201020101')"))
        conn.execute(
            text(
                "INSERT INTO child (id, uuid, code, name, sex, birth_date, residence, status, managing_unit,"
                " created_unit, mother_hbsag, mother_name, created_at, updated_at, version, deleted) VALUES"
                " (1, 'u-1', '320102010120260001', '张浩', '1', '2026-03-01', 1, 1, '3201020101', '3201020101',"
                " '0', '李梅', '2026-03-01 10:00:00', '2026-03-01 10:00:00', 1, 0)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO dose (uuid, child_id, vaccine_code, dose_number, date, attribute, batch_no, free,"
                " unit_code, created_at, updated_at, version, deleted) VALUES ('d-1', 1, '0201', 1, '2026-03-01',"
                " 0, 'B1', 1, '3201020101', '2026-03-01 10:00:00', '2026-03-01 10:00:00', 1, 0)"
            )
        )
    engine.dispose()
    db = open_database(path)
    try:
        with db.session() as s:
            assert s.execute(text("SELECT count(*) FROM stock_movement")).scalar() == 0
            assert s.execute(text("SELECT batch_no FROM dose")).scalar() == "B1"
        # stock starts now: the old dose of batch B1 does not draw on the new receipt
        movements.receive(db, vaccine="HepB", batch_no="B1", expiry=date(2027, 6, 30), quantity=5, on=date(2026, 10, 1))
        assert catalog.get_batch(db, "HepB", "B1").quantity == 5
    finally:
        db.close()


def test_syringes_migration_goes_down_dropping_the_syringes_and_up_again(db_path: Path) -> None:
    db = open_database(db_path)
    try:
        movements.receive(
            db,
            vaccine="HepB",
            batch_no="B1",
            expiry=date(2027, 6, 30),
            quantity=10,
            on=date(2026, 10, 1),
            trace_code="81234567890123456789",
        )
        movements.receive(
            db, vaccine="AD-0.5", batch_no="S1", expiry=date(2029, 1, 31), quantity=50, on=date(2026, 10, 1)
        )
    finally:
        db.close()
    engine = make_engine(db_path)
    cfg = alembic_config()
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0009_clinical")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT vaccine_code FROM stock_product")).scalars().all() == ["0201"]
            assert conn.execute(text("SELECT count(*) FROM stock_movement")).scalar() == 1
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT kind FROM stock_product")).scalars().all() == ["vaccine"]
            # the vaccine's batch, ledger and learned code came through both ways untouched
            assert conn.execute(text("SELECT quantity FROM stock_batch")).scalars().all() == [10]
            assert conn.execute(text("SELECT code FROM stock_product_code")).scalars().all() == ["8123456"]
    finally:
        engine.dispose()
