"""AEFI cases go to the platform like doses: queued by UUID, the latest version sent, checked there."""

from __future__ import annotations

from datetime import date, datetime

from epimanager.domain.aefi import AefiInput
from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.platform_sim.server import RunningServer
from epimanager.platform_sim.validate import data_problems
from epimanager.services import aefi
from epimanager.services.children import create_child
from epimanager.services.doses import add_dose
from epimanager.store.database import Database
from epimanager.sync import queue
from epimanager.sync.upload import upload

from .conftest import TOKEN

TODAY = date(2026, 11, 26)
NOW = datetime(2026, 11, 26, 10, 30)


def test_an_aefi_case_is_uploaded_with_its_latest_version(db: Database, platform: RunningServer) -> None:
    code = create_child(db, ChildInput("王小明", "1", date(2026, 3, 1), mother_name="李梅"), today=TODAY).code
    d = add_dose(db, code, DoseInput("HepB", 2, TODAY, batch_no="B202611"), today=TODAY)
    case = aefi.add_case(db, d.uuid, AefiInput(datetime(2026, 11, 26, 10, 0), symptoms=("103",)), now=NOW)
    report = upload(db, url=platform.url, token=TOKEN)
    assert (report.accepted, report.rejected) == (3, 0)  # the child, the dose, the case
    assert platform.store.counts()["kinds"] == {"child": 1, "dose": 1, "status": 0, "aefi": 1}
    aefi.add_follow_up(db, case.uuid, TODAY, "体温正常", "痊愈", expected_version=1, now=NOW)
    assert queue.status(db).waiting == 1
    upload(db, url=platform.url, token=TOKEN)
    assert platform.store.versions()[case.uuid] == 2
    assert queue.status(db).waiting == 0


def test_the_platform_checks_an_aefi_record() -> None:
    good = {"chil_uuid": "u1", "inoc_bact_code": "0201", "aefi_onset": "2026-11-26T10:00:00", "aefi_severity": "严重"}
    assert data_problems("aefi", good, today=TODAY) == []
    bad = {"inoc_bact_code": "9999", "aefi_onset": "2026-11-27T08:00:00", "aefi_severity": "中"}
    assert data_problems("aefi", bad, today=TODAY) == [
        "缺少儿童 UUID",
        "疫苗编码无效：9999",
        "发病日期晚于今天",
        "严重程度应为“一般”或“严重”",
    ]
