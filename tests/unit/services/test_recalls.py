"""The county's recall/lock list (召回/封存批号): kept by a 业务管理员, versioned, audited, and
delivered by a signed upgrade package (``data/recalls.json``)."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select

from epimanager.domain.validation import ChildInput
from epimanager.errors import NotFoundError, StaleRecord, ValidationError
from epimanager.services import recalls
from epimanager.services.administration import ScanRefused, verify_scan
from epimanager.services.children import create_child
from epimanager.services.stock import movements
from epimanager.store.database import Database, open_database
from epimanager.store.engine import make_engine
from epimanager.store.migrate import alembic_config
from epimanager.store.models import AuditLog, Base
from epimanager.upgrade.install.apply import apply_package
from epimanager.upgrade.install.layout import Target, UpgradeError
from tests.unit.upgrade.conftest import Builder, snapshot

T1 = datetime(2026, 12, 1, 9, 30)


def test_add_list_and_lift_with_the_version_seen(db: Database) -> None:
    r = recalls.add_recall(db, " 202611a ", reason="冷链温度超标", vaccine="乙肝", manufacturer="深圳康泰", now=T1)
    assert (r.batch_no, r.vaccine_code, r.kind_label, r.product_text, r.source) == (
        "202611A", "0201", "召回", "HepB 深圳康泰", "本地录入")  # fmt: skip
    lock = recalls.add_recall(db, "X9", reason="待检验", lock=True, now=T1)
    assert lock.kind_label == "封存" and lock.product_text == "任何产品"
    with pytest.raises(ValidationError, match="批号 202611A 已在清单中（召回：冷链温度超标）"):
        recalls.add_recall(db, "202611A", reason="再次", vaccine="HepB", manufacturer="深圳康泰")
    with pytest.raises(ValidationError, match="请填写召回原因"):
        recalls.add_recall(db, "Y1", reason=" ")
    assert [x.batch_no for x in recalls.list_recalls(db)] == ["X9", "202611A"]
    lifted = recalls.lift_recall(db, r.uuid, reason="复检合格", expected_version=r.version, now=T1)
    assert (lifted.active, lifted.lift_reason, lifted.version) == (False, "复检合格", 2)
    # a lift from a list read before that lift is refused
    with pytest.raises(StaleRecord):
        recalls.lift_recall(db, r.uuid, reason="again", expected_version=r.version)
    assert [x.batch_no for x in recalls.list_recalls(db)] == ["X9"]
    assert [x.batch_no for x in recalls.list_recalls(db, include_lifted=True)] == ["X9", "202611A"]
    assert [x.batch_no for x in recalls.lift_batch(db, "x9", reason="解除封存")] == ["X9"]
    with pytest.raises(NotFoundError, match="批号 X9 不在召回/封存清单中"):
        recalls.lift_batch(db, "X9", reason="解除封存")
    with db.session() as s:
        kinds = [k for (k,) in s.execute(select(AuditLog.kind).where(AuditLog.entity == "batch_recall"))]
    assert kinds == ["recall_add", "recall_add", "recall_lift", "recall_lift"]


def test_the_recall_migration_matches_the_models_and_goes_down_and_up(db_path: Path) -> None:
    open_database(db_path).close()
    engine = make_engine(db_path)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            assert [d for d in compare_metadata(ctx, Base.metadata) if "recall" in repr(d)] == []
        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0014_visit_order")
        assert "batch_recall" not in inspect(engine).get_table_names()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "heads")
        assert "batch_recall" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


RECALLS_JSON = {
    "issuer": "玄武区疾病预防控制中心",
    "recalls": [
        {"id": "2027-001", "batch": "b1", "vaccine": "HepB", "kind": "召回", "reason": "国家药监局召回通知"},
        {"id": "2027-002", "batch": "Z7", "kind": "封存", "reason": "待检", "lifted": {"reason": "检验合格"}},
    ],
}


def test_a_signed_upgrade_package_delivers_the_countys_list(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EPIMANAGER_DEV_KEYS", "1")  # packages signed with the development key, as in tests/unit/upgrade
    monkeypatch.delenv("EPIMANAGER_INSTALL_ROOT", raising=False)
    monkeypatch.delenv("EPIMANAGER_UPGRADE_REQUIRED_FREE", raising=False)
    db = open_database(db_path)
    try:
        code = create_child(db, ChildInput("张浩", "1", date(2026, 3, 1), mother_name="李梅")).code
        movements.receive(
            db, vaccine="HepB", batch_no="B1", expiry=date(2030, 6, 30), quantity=10, on=date(2026, 10, 1),
            manufacturer="深圳康泰", trace_code="81234560000000000001",
        )  # fmt: skip
    finally:
        db.close()
    builder = Builder(tmp_path / "packages")
    target = Target.for_database(db_path, tmp_path / "install")
    # a list the scan check could not read is refused at install, nothing changed
    before = snapshot(target)
    bad = {"recalls": [{"id": "1", "batch": "B1", "kind": "作废", "reason": "x"}]}
    with pytest.raises(UpgradeError, match="kind 应为 召回 或 封存"):
        apply_package(builder.build("0.2.0", data={"recalls.json": json.dumps(bad).encode()}), target)
    assert snapshot(target) == before
    data = json.dumps(RECALLS_JSON, ensure_ascii=False).encode()
    apply_package(builder.build("0.2.0", data={"recalls.json": data}), target)
    db = open_database(db_path)
    try:
        shown = recalls.list_recalls(db, include_lifted=True)
        assert sorted((r.batch_no, r.kind_label, r.active, r.source) for r in shown) == [
            ("B1", "召回", True, "升级包 0.2.0"),
            ("Z7", "封存", False, "升级包 0.2.0"),
        ]
        with pytest.raises(ScanRefused, match="批号 B1 已被召回：国家药监局召回通知"):
            verify_scan(db, code, "81234560000000000001", vaccine="HepB")
        # lifted here, it stays lifted: reading the same list again adds nothing
        recalls.lift_batch(db, "B1", reason="县疾控通知解除")
        assert recalls.list_recalls(db) == []
        assert verify_scan(db, code, "81234560000000000001", vaccine="HepB").batch_no == "B1"
    finally:
        db.close()


def test_the_dose_form_no_longer_proposes_a_stopped_batch(db: Database) -> None:
    from epimanager.services.ui_support import batch_proposals

    on = date(2026, 10, 1)
    for batch, maker in (("B1", "深圳康泰"), ("B2", "深圳康泰"), ("B1", "北京天坛")):
        movements.receive(db, vaccine="HepB", batch_no=batch, expiry=date(2030, 6, 30), quantity=10, on=on,
                          manufacturer=maker)  # fmt: skip
    assert sorted((p.batch_no, p.manufacturer) for p in batch_proposals(db, "0201", date(2026, 11, 26))) == [
        ("B1", "北京天坛"), ("B1", "深圳康泰"), ("B2", "深圳康泰")]  # fmt: skip
    recalls.add_recall(db, "b1", reason="召回通知", vaccine="HepB", manufacturer="深圳康泰")
    recalls.add_recall(db, "B2", reason="另一疫苗的同号批次", vaccine="DTaP")
    shown = sorted((p.batch_no, p.manufacturer) for p in batch_proposals(db, "0201", date(2026, 11, 26)))
    assert shown == [("B1", "北京天坛"), ("B2", "深圳康泰")]
