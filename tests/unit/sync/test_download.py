"""Look a child up on the platform and bring it in; newborns; another unit's records stay read-only."""

from __future__ import annotations

import time
from datetime import date

import pytest
from sqlalchemy import text

from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.errors import PermissionDenied
from epimanager.platform_sim.server import RunningServer
from epimanager.services.children import get_child, update_child
from epimanager.services.doses import add_dose, update_dose
from epimanager.store.database import Database
from epimanager.sync import queue
from epimanager.sync.auto import AutoUploader
from epimanager.sync.client import PlatformClient
from epimanager.sync.config import save_settings
from epimanager.sync.download import bring_in, is_read_only, lookup, pull_newborns

from .conftest import TOKEN

TODAY = date(2026, 11, 26)
OTHER = "3201020202"
CHILD_UUID = "0190bbbb-0000-7000-8000-000000000001"
DOSE_UUID = "0190bbbb-0000-7000-8000-000000000002"


def other_units_child(platform: RunningServer) -> None:
    """Unit 3201020202 uploaded a child (with one dose) who has now come to our clinic."""
    child = {
        "kind": "child",
        "uuid": CHILD_UUID,
        "version": 3,
        "owner_unit": OTHER,
        "data": {
            "chil_code": "320102020220250007",
            "chil_name": "欧阳娜娜",
            "chil_sex": "2",
            "chil_birthday": "2025-04-05",
            "chil_mother": "林芳",
            "chil_no": None,
            "chil_here": "1",
            "chil_curdepartment": OTHER,
            "chil_createsite": OTHER,
            "chil_birthweight": 3250,
        },
    }
    dose = {
        "kind": "dose",
        "uuid": DOSE_UUID,
        "version": 1,
        "owner_unit": OTHER,
        "data": {
            "chil_uuid": CHILD_UUID,
            "chil_code": "320102020220250007",
            "inoc_bact_code": "0201",
            "inoc_time": 1,
            "inoc_date": "2025-04-05",
            "inoc_county": "320102",
            "inoc_nationcode": "0202",
            "inoc_batchno": "X1",
        },
    }
    reply = platform.store.apply_batch("other-1", OTHER, "h", [child, dose])
    assert [r["status"] for r in reply["results"]] == ["accepted", "accepted"]


def client(platform: RunningServer) -> PlatformClient:
    return PlatformClient(platform.url, TOKEN)


def test_lookup_by_code_id_or_name_birth_date_and_mother(platform: RunningServer) -> None:
    other_units_child(platform)
    cl = client(platform)
    assert [c.code for c in lookup(cl, "3201020101", code="320102020220250007")] == ["320102020220250007"]
    by_name = lookup(cl, "3201020101", name="欧阳娜娜", birth_date=date(2025, 4, 5), mother="林芳")
    assert [c.uuid for c in by_name] == [CHILD_UUID]
    assert lookup(cl, "3201020101", name="欧阳娜娜", birth_date=date(2025, 4, 5), mother="别人") == []
    assert len(by_name[0].doses) == 1


def test_a_moved_in_child_is_brought_in_read_only(db: Database, platform: RunningServer) -> None:
    other_units_child(platform)
    [remote] = lookup(client(platform), "3201020101", code="320102020220250007")
    result = bring_in(db, remote)
    assert (result.created, result.doses_added, result.read_only) == (True, 1, True)
    child = get_child(db, "320102020220250007")
    assert (child.name, child.managing_unit, child.version, child.birth_weight_kg) == ("欧阳娜娜", OTHER, 3, 3.25)
    assert child.doses[0].unit_code == OTHER
    assert is_read_only(db, CHILD_UUID) == OTHER
    # not queued for upload (it is the other unit's record) …
    assert queue.status(db).waiting == 0
    # … and cannot be changed here
    with pytest.raises(PermissionDenied, match="3201020202"):
        update_child(db, "320102020220250007", {"phone": "13812345678"}, today=TODAY)
    with pytest.raises(PermissionDenied):
        update_dose(db, DOSE_UUID, {"batch_no": "Y"}, today=TODAY)
    assert get_child(db, "320102020220250007").phone is None
    # a dose given here (异地接种) is ours and is uploaded
    mine = add_dose(db, "320102020220250007", DoseInput("HepB", 2, date(2025, 5, 5)), today=TODAY)
    with db.session() as s:
        assert s.execute(text("SELECT state FROM sync_outbox WHERE uuid = :u"), {"u": mine.uuid}).scalar() == "pending"
    # bringing it in again changes nothing
    again = bring_in(db, remote)
    assert (again.created, again.updated, again.doses_added) == (False, False, 0)


def test_newborns_registered_by_a_maternity_ward_are_pulled_once(db: Database, platform: RunningServer) -> None:
    def newborn(i: int) -> dict[str, object]:
        return {
            "uuid": f"0190cccc-0000-7000-8000-00000000000{i}",
            "version": 1,
            "data": {
                "chil_code": f"32010299012026000{i}",
                "chil_name": f"新生{i}",
                "chil_sex": "1",
                "chil_birthday": "2026-11-20",
                "chil_mother": "产妇",
                "chil_curdepartment": "3201020101",
                "chil_createsite": "3201029901",
            },
        }

    platform.store.register_newborns("3201029901", [newborn(1), newborn(2)])
    platform.store.register_newborns(
        "3201029901",
        [
            {
                **newborn(3),
                "data": {
                    **newborn(3)["data"],  # type: ignore[dict-item]
                    "chil_curdepartment": "3201020202",
                },
            }
        ],
    )
    got = pull_newborns(db, client(platform))
    assert sorted(g.name for g in got) == ["新生1", "新生2"]
    assert not any(g.read_only for g in got)
    assert pull_newborns(db, client(platform)) == []
    # ours to edit; the edit is uploaded with the next version
    update_child(db, "320102990120260001", {"phone": "13812345678"}, today=TODAY)
    save_settings(db, url=platform.url, token=TOKEN)
    uploader = AutoUploader(db)
    report = uploader.run_once()
    assert report is not None and report.accepted == 1
    assert platform.store.versions()["0190cccc-0000-7000-8000-000000000001"] == 2


def test_the_automatic_uploader_runs_in_the_background_and_stops(db: Database, platform: RunningServer) -> None:
    from epimanager.services.children import create_child

    create_child(db, ChildInput("李雷", "1", date(2026, 3, 1), mother_name="韩梅"), today=TODAY)
    save_settings(db, url=platform.url, token=TOKEN)
    results: list[tuple[object, object]] = []
    up = AutoUploader(db, interval_s=0.05, first_delay_s=0.0, on_done=lambda r, e: results.append((r, e)))
    up.start()
    deadline = time.monotonic() + 20
    while not results and time.monotonic() < deadline:
        time.sleep(0.02)
    up.stop()
    assert not up.running
    report, error = results[0]
    assert error is None and report is not None
    assert queue.status(db).waiting == 0


def test_the_automatic_uploader_waits_quietly_while_the_platform_is_away(db: Database) -> None:
    from epimanager.services.children import create_child

    create_child(db, ChildInput("李雷", "1", date(2026, 3, 1), mother_name="韩梅"), today=TODAY)
    save_settings(db, url="http://127.0.0.1:9", token=TOKEN)
    errors: list[object] = []
    assert AutoUploader(db, on_done=lambda r, e: errors.append(e)).run_once() is None
    assert errors == [] and queue.status(db).waiting == 1
