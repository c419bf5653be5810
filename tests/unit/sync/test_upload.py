"""Upload to a real platform server on 127.0.0.1: batches, answers, the rejected list, errors."""

from __future__ import annotations

import json
import random
from datetime import date, datetime

import pytest
import requests
from sqlalchemy import select

from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.platform_sim.server import RunningServer
from epimanager.services.children import create_child
from epimanager.services.doses import add_dose, update_dose
from epimanager.store.database import Database
from epimanager.store.models import Child, Dose
from epimanager.sync import queue
from epimanager.sync.client import PlatformAuthError, PlatformUnavailable, RetryPolicy, check_url
from epimanager.sync.config import save_settings
from epimanager.sync.upload import upload

from .conftest import TOKEN

TODAY = date(2026, 11, 26)


def children(db: Database, n: int) -> list[str]:
    return [
        create_child(db, ChildInput(f"王{i}", "1", date(2026, 3, 1), mother_name="李梅"), today=TODAY).code
        for i in range(n)
    ]


def bad_dose(db: Database, code: str) -> str:
    """A dose with a vaccine code the platform does not know (as an old import might have left)."""
    with db.transaction() as s:
        child = s.scalars(select(Child).where(Child.code == code)).one()
        now = datetime.now()
        d = Dose(
            child_id=child.id,
            vaccine_code="9999",
            dose_number=1,
            date=date(2026, 3, 2),
            created_at=now,
            updated_at=now,
            version=1,
        )
        s.add(d)
        s.flush()
        return d.uuid


def test_everything_waiting_is_uploaded_once_in_batches(db: Database, platform: RunningServer) -> None:
    codes = children(db, 7)
    for c in codes[:3]:
        add_dose(db, c, DoseInput("HepB", 1, date(2026, 3, 1)), today=TODAY)
    seen: list[tuple[int, int]] = []
    report = upload(db, url=platform.url, token=TOKEN, batch_size=4, progress=lambda d, t: seen.append((d, t)))
    assert (report.accepted, report.rejected, report.remaining, report.batches) == (10, 0, 0, 3)
    assert seen[0] == (0, 10) and seen[-1] == (10, 10)
    st = queue.status(db)
    assert (st.waiting, st.sent, st.rejected) == (0, 10, 0)
    assert st.last_success is not None
    assert platform.store.counts()["kinds"] == {"child": 7, "dose": 3, "status": 0, "aefi": 0}
    # nothing new: a second upload sends nothing
    assert upload(db, url=platform.url, token=TOKEN).batches == 0


def test_the_platform_keeps_the_latest_version(db: Database, platform: RunningServer) -> None:
    [code] = children(db, 1)
    d = add_dose(db, code, DoseInput("HepB", 1, date(2026, 3, 1)), today=TODAY)
    upload(db, url=platform.url, token=TOKEN)
    update_dose(db, d.uuid, {"batch_no": "NEW"}, today=TODAY)
    upload(db, url=platform.url, token=TOKEN)
    assert platform.store.versions()[d.uuid] == 2
    found = platform.store.find_children(code=code)
    assert found[0]["doses"][0]["data"]["inoc_batchno"] == "NEW"


def test_a_wrong_token_marks_nothing_sent_and_says_so(db: Database, platform: RunningServer) -> None:
    children(db, 3)
    with pytest.raises(PlatformAuthError, match="令牌") as exc:
        upload(db, url=platform.url, token="wrong")
    assert exc.value.exit_code != 0
    st = queue.status(db)
    assert (st.waiting, st.sent) == (3, 0)
    assert "401" in (st.last_error or "")
    assert platform.store.counts()["records"] == 0
    # with the right token (saved in the settings) the same records go
    save_settings(db, url=platform.url, token=TOKEN)
    assert upload(db).accepted == 3
    assert queue.status(db).last_error is None


def test_a_rejected_record_is_listed_never_blocks_the_rest_and_can_be_fixed(
    db: Database, platform: RunningServer
) -> None:
    codes = children(db, 3)
    bad = bad_dose(db, codes[1])
    report = upload(db, url=platform.url, token=TOKEN, batch_size=2)
    assert (report.accepted, report.rejected, report.remaining) == (3, 1, 0)
    [r] = queue.rejected(db)
    assert (r.uuid, r.kind, r.child_code) == (bad, "dose", codes[1])
    assert "疫苗编码无效" in (r.reason or "")
    # the nurse corrects the vaccine: the fix is queued and accepted
    update_dose(db, bad, {"vaccine": "HepB"}, today=TODAY)
    assert queue.rejected(db) == []
    assert upload(db, url=platform.url, token=TOKEN).accepted == 1
    assert queue.status(db).sent == 4


def test_retry_and_drop_from_the_rejected_list(db: Database, platform: RunningServer) -> None:
    codes = children(db, 2)
    bad1, bad2 = bad_dose(db, codes[0]), bad_dose(db, codes[1])
    upload(db, url=platform.url, token=TOKEN)
    assert {r.uuid for r in queue.rejected(db)} == {bad1, bad2}
    queue.drop(db, bad2)
    assert queue.retry(db, bad1) == 1
    st = queue.status(db)
    assert (st.waiting, st.rejected, st.dropped) == (1, 0, 1)
    upload(db, url=platform.url, token=TOKEN)  # rejected again: the data did not change
    assert [r.uuid for r in queue.rejected(db)] == [bad1]
    assert queue.retry(db) == 1  # --all
    assert queue.status(db).waiting == 1


def test_transient_failures_are_retried_until_the_platform_answers(
    db: Database, platform: RunningServer, quick: RetryPolicy
) -> None:
    children(db, 20)
    platform.faults.fail_rate = 0.5
    platform.faults.drop_rate = 0.2
    platform.faults.lost_ack_rate = 0.3
    platform.faults._rng = random.Random(11)
    policy = RetryPolicy(max_attempts=40, base=0.001, cap=0.01, max_elapsed=30)
    report = upload(db, url=platform.url, token=TOKEN, batch_size=3, policy=policy)
    assert report.retries > 0
    assert (report.accepted + report.stale, report.remaining) == (20, 0)
    counts = platform.store.counts()
    assert (counts["records"], counts["rows"], counts["writes"]) == (20, 20, 20)


def test_an_unreachable_platform_keeps_everything_for_next_time(db: Database, quick: RetryPolicy) -> None:
    children(db, 2)
    with pytest.raises(PlatformUnavailable, match="下次上传时继续"):
        upload(db, url="http://127.0.0.1:9", token=TOKEN, policy=quick)
    st = queue.status(db)
    assert (st.waiting, st.sent) == (2, 0)
    assert st.in_flight == 2  # the claimed batch is kept with its key and resent next time
    assert len(queue.unfinished_batches(db)) == 1


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    p = RetryPolicy(base=1.0, cap=8.0, rng=random.Random(1))
    for attempt, full in ((1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (9, 8.0)):
        d = p.delay(attempt)
        assert full / 2 <= d <= full
    assert p.delay(1, retry_after=5) == 5


def test_plain_http_is_only_for_this_machine() -> None:
    assert check_url("http://127.0.0.1:8765/") == "http://127.0.0.1:8765"
    assert check_url("https://nip.example.cn/api") == "https://nip.example.cn/api"
    with pytest.raises(Exception, match="https"):
        check_url("http://nip.example.cn")


def test_a_replayed_idempotency_key_gets_the_stored_reply(platform: RunningServer) -> None:
    rec = {
        "kind": "status",
        "uuid": "0190aaaa-0000-7000-8000-000000000001",
        "version": 1,
        "owner_unit": "3201020101",
        "data": {"chhe_chil_uuid": "c", "chhe_here": "2"},
    }
    body = json.dumps({"protocol": 1, "unit": "3201020101", "records": [rec]}).encode()
    h = {"Authorization": f"Bearer {TOKEN}", "Idempotency-Key": "k-1"}
    url = platform.url + "/api/v1/batches"
    first = requests.post(url, data=body, headers=h, timeout=5)
    again = requests.post(url, data=body, headers=h, timeout=5)
    assert first.json() == again.json()
    assert first.json()["results"][0]["status"] == "accepted"
    assert platform.store.counts()["writes"] == 1
    other = requests.post(url, data=body.replace(b'"2"', b'"3"'), headers=h, timeout=5)
    assert other.status_code == 422


def test_an_older_version_is_answered_stale_and_counts_as_sent(db: Database, platform: RunningServer) -> None:
    [code] = children(db, 1)
    upload(db, url=platform.url, token=TOKEN)
    with db.session() as s:
        uuid = s.scalars(select(Child.uuid).where(Child.code == code)).one()
    rec = {"kind": "child", "uuid": uuid, "version": 1, "owner_unit": "3201020101"}
    stored = platform.store.find_children(code=code)[0]
    platform.store.apply_batch("k-x", "3201020101", "x", [{**rec, "version": 5, "data": stored["data"]}])
    # a later local edit at version 2 is older than the platform's 5
    with db.transaction() as s:
        c = s.scalars(select(Child).where(Child.code == code)).one()
        c.phone = "13900000000"
        c.version = 2
    report = upload(db, url=platform.url, token=TOKEN)
    assert (report.stale, report.remaining) == (1, 0)
