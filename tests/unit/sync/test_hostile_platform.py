"""Upload against platforms that misbehave (issue #16: 11, 19, 20, 21): nothing is lost, nothing loops.

Each server is a small ``http.server`` on 127.0.0.1 (``hostile.py``); after 60 requests it
answers 401, so a client that would loop for ever stops, and the test counts what it sent.
"""

from __future__ import annotations

import json
import random
import threading
import time
from datetime import date
from http.server import BaseHTTPRequestHandler

import pytest
from sqlalchemy import text

from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.platform_sim.server import RunningServer
from epimanager.services.children import create_child
from epimanager.services.doses import add_dose
from epimanager.store.database import Database
from epimanager.sync import queue
from epimanager.sync.auto import AutoUploader
from epimanager.sync.client import PlatformClient, PlatformRedirect, PlatformUnavailable, RetryPolicy
from epimanager.sync.download import lookup
from epimanager.sync.upload import MAX_UNANSWERED, UploadReport, upload

from .conftest import TOKEN
from .hostile import Answer, Hostile, records, reply, reply_json, serve

TODAY = date(2026, 11, 26)


def two_children_one_dose(db: Database) -> None:
    codes = [
        create_child(db, ChildInput(f"王{i}", "1", date(2026, 3, 1), mother_name="李梅"), today=TODAY).code
        for i in range(2)
    ]
    add_dose(db, codes[0], DoseInput("HepB", 1, date(2026, 3, 1)), today=TODAY)


def counts(db: Database) -> tuple[int, int, int]:
    st = queue.status(db)
    return st.waiting, st.sent, st.rejected


# -- 11: redirects are never followed --------------------------------------------------------


def accept_all(h: BaseHTTPRequestHandler, body: bytes) -> None:
    """Another host: takes any batch, token or not, and answers "accepted"."""
    results = [{"uuid": r["uuid"], "version": r["version"], "status": "accepted"} for r in records(body)]
    reply_json(h, {"results": results})


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_a_redirect_sends_nothing_elsewhere_and_marks_nothing_sent(
    db: Database, platform: RunningServer, quick: RetryPolicy, code: int
) -> None:
    two_children_one_dose(db)
    with serve(Hostile(accept_all)) as elsewhere:

        def to_other_host(h: BaseHTTPRequestHandler, _body: bytes) -> None:
            reply(h, code, b"", Location=elsewhere.url + "/api/v1/batches")

        with serve(Hostile(to_other_host)) as bad:
            with pytest.raises(PlatformRedirect, match="平台返回了重定向") as exc:
                upload(db, url=bad.url, token=TOKEN, policy=quick)
            assert f"HTTP {code}" in exc.value.message and "未上传" in exc.value.message
            assert exc.value.exit_code != 0
            assert bad.requests == 1  # not retried either
        assert elsewhere.requests == 0  # the other host received nothing
    assert counts(db) == (3, 0, 0)
    # the records go, once, when the address is right
    assert upload(db, url=platform.url, token=TOKEN, policy=quick).accepted == 3
    assert platform.store.counts()["records"] == 3


def test_a_lookup_does_not_follow_a_redirect_either(platform: RunningServer, quick: RetryPolicy) -> None:
    def to_other_host(h: BaseHTTPRequestHandler, _body: bytes) -> None:
        reply(h, 302, b"", Location=platform.url + h.path)

    with serve(Hostile(to_other_host)) as bad:
        client = PlatformClient(bad.url, TOKEN, policy=quick)
        try:
            with pytest.raises(PlatformRedirect, match="重定向"):
                lookup(client, "3201020101", code="320102010120260001")
            assert not client.ping()
        finally:
            client.close()


# -- 19: partial answers and unknown ids -----------------------------------------------------


def children_only(h: BaseHTTPRequestHandler, body: bytes) -> None:
    """Accepts children, never answers for doses, and answers for an id it was not sent."""
    children = [r for r in records(body) if r["kind"] == "child"]
    results = [{"uuid": r["uuid"], "version": r["version"], "status": "accepted"} for r in children]
    results.append({"uuid": "0190ffff-0000-7000-8000-00000000dead", "version": 1, "status": "accepted"})
    reply_json(h, {"results": results})


def unknown_ids_only(h: BaseHTTPRequestHandler, _body: bytes) -> None:
    reply_json(h, {"results": [{"uuid": "no-such-record", "version": 1, "status": "accepted"}]})


def test_a_platform_that_answers_part_of_a_batch_gets_a_few_resends_then_the_run_stops(
    db: Database, quick: RetryPolicy
) -> None:
    two_children_one_dose(db)
    with serve(Hostile(children_only)) as bad:
        report = upload(db, url=bad.url, token=TOKEN, policy=quick)
        # the first batch carries all three; the dose is then sent alone until it was sent 5 times
        assert len(bad.posts) == MAX_UNANSWERED == 5
        assert [len(p["records"]) for p in bad.posts] == [3, 1, 1, 1, 1]
    assert (report.accepted, report.rejected, report.unanswered, report.remaining) == (2, 0, 1, 1)
    assert not report.complete
    assert "连续 5 次未答复其中 1 条记录" in report.summary() and "仍待上传" in report.summary()
    assert counts(db) == (1, 2, 0)  # the dose is still waiting, not lost, not rejected
    # the next run tries it once more (not five times), then stops again
    with serve(Hostile(children_only)) as bad:
        again = upload(db, url=bad.url, token=TOKEN, policy=quick)
        assert len(bad.posts) == 1
    assert (again.unanswered, again.remaining) == (1, 1)


def test_answers_only_for_unknown_ids_stop_after_five_sends_with_backoff(db: Database) -> None:
    two_children_one_dose(db)
    slept: list[float] = []
    policy = RetryPolicy(base=0.01, cap=0.05, rng=random.Random(3))
    with serve(Hostile(unknown_ids_only)) as bad:
        client = PlatformClient(bad.url, TOKEN, policy=policy, sleep=slept.append)
        report = upload(db, client=client)
        client.close()
        assert len(bad.posts) == 5
    assert (report.accepted, report.unanswered, report.remaining) == (0, 3, 3)
    # a growing wait before each of the 4 resends (0.01·2ⁿ, jittered to 50–100 %, capped at 0.05),
    # none after the last send
    assert len(slept) == 4
    for n, wait in enumerate(slept[:3]):
        assert 0.01 * 2**n / 2 <= wait <= 0.01 * 2**n
    assert counts(db) == (3, 0, 0)


def test_a_platform_that_answers_again_takes_the_records_that_were_skipped(
    db: Database, platform: RunningServer, quick: RetryPolicy
) -> None:
    two_children_one_dose(db)
    with serve(Hostile(unknown_ids_only)) as bad:
        upload(db, url=bad.url, token=TOKEN, policy=quick)
    report = upload(db, url=platform.url, token=TOKEN, policy=quick)
    assert (report.accepted, report.unanswered) == (3, 0)
    assert counts(db) == (0, 3, 0)


def test_the_automatic_uploader_stops_resending_and_backs_off(db: Database) -> None:
    two_children_one_dose(db)
    done: list[tuple[UploadReport | None, str | None]] = []
    quick = RetryPolicy(base=0.001, cap=0.002)
    with serve(Hostile(unknown_ids_only)) as bad:
        from epimanager.sync.config import save_settings

        save_settings(db, url=bad.url, token=TOKEN, interval_s=1)
        auto = AutoUploader(
            db, on_done=lambda r, e: done.append((r, e)), interval_s=0.05, first_delay_s=0, policy=quick
        )
        report = auto.run_once()
        assert report is not None and report.unanswered == 3
        assert len(bad.posts) == 5
        # in the loop, rounds that leave records unanswered wait longer and longer (0.1, 0.2, 0.4 … s)
        started = time.monotonic()
        auto.start()
        deadline = started + 20.0  # generous: a loaded machine is slow, never fast
        while auto.rounds - 1 < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        elapsed = time.monotonic() - started
        auto.stop()
        rounds = auto.rounds - 1
        assert rounds >= 3
        # every round costs one send; three rounds waited 0.1 + 0.2 + 0.4 s in between (without
        # backoff they would have taken 3 × 0.05 s)
        assert elapsed >= 0.6
        # (the round counted last may have been stopped before its send)
        assert 5 + rounds - 1 <= len(bad.posts) <= 5 + rounds
    assert counts(db) == (3, 0, 0)


# -- 20: replies that are not the protocol ---------------------------------------------------


def _json(data: object) -> Answer:
    def answer(h: BaseHTTPRequestHandler, _body: bytes) -> None:
        reply_json(h, data)

    return answer


def _html404(h: BaseHTTPRequestHandler, _body: bytes) -> None:
    reply(h, 404, b"<html><body><h1>404 Not Found</h1></body></html>", "text/html")


def _moved(h: BaseHTTPRequestHandler, _body: bytes) -> None:
    reply(h, 301, b"<html>moved</html>", "text/html", Location="https://elsewhere.example.cn/")


@pytest.mark.parametrize(
    "answer",
    [_json({"ok": True}), _json([]), _json({"results": "x"}), _html404, _moved],
    ids=["ok-true", "empty-list", "results-not-a-list", "html-404", "moved-301"],
)
def test_a_reply_that_is_not_the_protocol_rejects_nothing(db: Database, quick: RetryPolicy, answer: Answer) -> None:
    two_children_one_dose(db)
    with serve(Hostile(answer)) as bad, pytest.raises(PlatformUnavailable) as exc:
        upload(db, url=bad.url, token=TOKEN, policy=quick)
    assert exc.value.exit_code != 0
    assert "协议" in exc.value.message or "重定向" in exc.value.message
    assert counts(db) == (3, 0, 0)  # every record still waiting, none on the rejected list
    assert queue.rejected(db) == []


def test_an_unknown_status_word_leaves_the_records_waiting(db: Database, quick: RetryPolicy) -> None:
    def odd_word(h: BaseHTTPRequestHandler, body: bytes) -> None:
        reply_json(h, {"results": [{"uuid": r["uuid"], "version": 1, "status": "queued"} for r in records(body)]})

    two_children_one_dose(db)
    with serve(Hostile(odd_word)) as bad:
        report = upload(db, url=bad.url, token=TOKEN, policy=quick)
    assert (report.rejected, report.unanswered, report.remaining) == (0, 3, 3)
    assert counts(db) == (3, 0, 0)


# -- 21: a reply dripped byte by byte ---------------------------------------------------------


def _drip(where: str) -> Answer:
    """A correct reply, but 24 bytes of it one every 0.25 s (6 s), then the rest at once."""

    def answer(h: BaseHTTPRequestHandler, body: bytes) -> None:
        results = [{"uuid": r["uuid"], "version": r["version"], "status": "accepted"} for r in records(body)]
        payload = json.dumps({"results": results}).encode()
        head = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n").encode()
        whole = head + payload
        start = 0 if where == "headers" else len(head)
        try:
            h.wfile.write(whole[:start])
            h.wfile.flush()
            for i in range(start, start + 24):
                h.wfile.write(whole[i : i + 1])
                h.wfile.flush()
                time.sleep(0.25)
            h.wfile.write(whole[start + 24 :])
            h.wfile.flush()
        except OSError:  # the client hung up: what a dripping server sees
            pass
        h.close_connection = True

    return answer


@pytest.mark.parametrize("where", ["headers", "body"])
def test_a_slow_drip_is_cut_off_at_the_deadline(db: Database, where: str) -> None:
    two_children_one_dose(db)
    policy = RetryPolicy(max_attempts=3, base=0.01, cap=0.01, max_elapsed=1.5)
    with serve(Hostile(_drip(where))) as bad:
        started = time.monotonic()
        with pytest.raises(PlatformUnavailable, match="回复过慢") as exc:
            upload(db, url=bad.url, token=TOKEN, policy=policy)
        took = time.monotonic() - started
    assert "下次上传时继续" in exc.value.message
    assert took < 5.5  # the drip alone would take 6 s
    assert counts(db) == (3, 0, 0)


def test_a_client_deadline_bounds_each_try(db: Database) -> None:
    two_children_one_dose(db)
    with serve(Hostile(_drip("body"))) as bad:
        client = PlatformClient(bad.url, TOKEN, policy=RetryPolicy(max_attempts=2, base=0.01, cap=0.01), deadline=1.0)
        try:
            with pytest.raises(PlatformUnavailable, match="1 秒内没有回复完") as exc:
                upload(db, client=client)
        finally:
            client.close()
        assert bad.requests == 2
    assert "已重试 2 次" in exc.value.message


def test_threads_are_not_left_behind(db: Database) -> None:
    before = threading.active_count()
    two_children_one_dose(db)
    with serve(Hostile(_json({"results": []}))) as bad:
        upload(db, url=bad.url, token=TOKEN, policy=RetryPolicy(base=0.001, cap=0.001))
    time.sleep(0.1)
    assert threading.active_count() <= before + 1


# -- downloads from a platform that does not speak the protocol ---------------------------------


def test_a_lookup_reply_outside_the_protocol_is_a_clear_error(quick: RetryPolicy) -> None:
    for data in ([], {"children": "x"}, {"children": [{"data": {}}]}):
        with serve(Hostile(_json(data))) as bad:
            client = PlatformClient(bad.url, TOKEN, policy=quick)
            try:
                with pytest.raises(PlatformUnavailable, match="不符合协议"):
                    lookup(client, "3201020101", code="320102010120260001")
            finally:
                client.close()


def test_a_newborn_cursor_that_does_not_move_on_stops_at_once(db: Database, quick: RetryPolicy) -> None:
    from epimanager.sync.download import pull_newborns

    page = {"records": [{"uuid": "u1", "version": 1, "owner_unit": "3201020101", "data": {}}], "next": 0}
    with serve(Hostile(_json(page))) as bad:
        client = PlatformClient(bad.url, TOKEN, policy=quick)
        try:
            with pytest.raises(PlatformUnavailable, match="游标"):
                pull_newborns(db, client)
        finally:
            client.close()
        assert bad.requests == 1
    with db.session() as s:
        assert s.execute(text("SELECT COUNT(*) FROM child")).scalar() == 0  # nothing was brought in
