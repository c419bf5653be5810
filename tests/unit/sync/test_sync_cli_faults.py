"""``epimanager sync`` as a nurse runs it against a bad platform: exit codes and the token on stdin."""

from __future__ import annotations

import json
from datetime import date
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from epimanager.domain.validation import ChildInput
from epimanager.platform_sim.server import RunningServer
from epimanager.services.children import create_child
from epimanager.store.database import open_database
from tests.helpers.cli import run_cli

from .conftest import TOKEN
from .hostile import Hostile, reply, reply_json, serve
from .test_upload import bad_dose


def with_children(db_path: Path, n: int, *, bad: bool = False) -> None:
    db = open_database(db_path)
    try:
        codes = [
            create_child(
                db, ChildInput(f"王{i}", "1", date(2026, 3, 1), mother_name="李梅"), today=date(2026, 11, 26)
            ).code
            for i in range(n)
        ]
        if bad:
            bad_dose(db, codes[0])
    finally:
        db.close()


def status(db_path: Path) -> dict[str, object]:
    return dict(json.loads(run_cli("sync", "status", "--json", db=db_path).stdout))


def test_rejected_records_make_the_upload_exit_non_zero(db_path: Path, platform: RunningServer) -> None:
    with_children(db_path, 2, bad=True)
    r = run_cli("sync", "upload", "--url", platform.url, "--token", TOKEN, "--quiet", db=db_path)
    assert r.returncode == 1, r.stderr
    assert "已上传 2 条，被拒 1 条" in r.stdout and "epimanager sync rejected" in r.stdout
    j = run_cli("sync", "upload", "--url", platform.url, "--token", TOKEN, "--json", db=db_path)
    assert j.returncode == 0  # nothing left to send, nothing newly rejected


def test_a_redirect_is_an_error_on_the_command_line(db_path: Path, platform: RunningServer) -> None:
    with_children(db_path, 2)

    def to_other_host(h: BaseHTTPRequestHandler, _body: bytes) -> None:
        reply(h, 307, b"", Location=platform.url + "/api/v1/batches")

    with serve(Hostile(to_other_host)) as bad:
        r = run_cli("sync", "upload", "--url", bad.url, "--token", TOKEN, "--quiet", db=db_path)
    assert r.returncode == 6
    assert r.stderr.strip().splitlines()[-1].startswith("错误：平台返回了重定向（HTTP 307")
    assert "未上传" in r.stderr
    assert platform.store.counts()["records"] == 0
    st = status(db_path)
    assert (st["pending"], st["sent"], st["rejected"]) == (2, 0, 0)


def test_a_reply_outside_the_protocol_exits_non_zero_and_rejects_nothing(db_path: Path) -> None:
    with_children(db_path, 2)

    def ok_true(h: BaseHTTPRequestHandler, _body: bytes) -> None:
        reply_json(h, {"ok": True})

    with serve(Hostile(ok_true)) as bad:
        r = run_cli("sync", "upload", "--url", bad.url, "--token", TOKEN, "--quiet", db=db_path)
    assert r.returncode != 0
    assert "不符合协议" in r.stderr and "仍待上传" in r.stderr
    st = status(db_path)
    assert (st["pending"], st["sent"], st["rejected"]) == (2, 0, 0)


def test_the_token_can_come_from_standard_input(db_path: Path, platform: RunningServer) -> None:
    with_children(db_path, 2)
    r = run_cli("sync", "config", "--url", platform.url, "--token-stdin", "--json", db=db_path, stdin=TOKEN + "\n")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["token"] == TOKEN[:2] + "…" + TOKEN[-2:]
    # upload with a token typed on stdin (here a wrong one first: it is the one used)
    wrong = run_cli("sync", "upload", "--token-stdin", "--quiet", db=db_path, stdin="not-the-token\n")
    assert wrong.returncode == 5 and "401" in wrong.stderr
    ok = run_cli("sync", "upload", "--token-stdin", "--json", db=db_path, stdin=TOKEN + "\n")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["accepted"] == 2


def test_an_empty_token_on_stdin_is_refused_and_changes_nothing(db_path: Path, platform: RunningServer) -> None:
    with_children(db_path, 1)
    assert run_cli("sync", "config", "--url", platform.url, "--token", TOKEN, db=db_path).returncode == 0
    r = run_cli("sync", "config", "--token-stdin", db=db_path, stdin="\n")
    assert r.returncode == 2
    assert r.stderr.strip() == "错误：--token-stdin：标准输入中没有令牌（应为一行文字）"
    assert json.loads(run_cli("sync", "config", "--json", db=db_path).stdout)["token"] == TOKEN[:2] + "…" + TOKEN[-2:]
    both = run_cli("sync", "upload", "--token", "x", "--token-stdin", db=db_path, stdin=TOKEN + "\n")
    assert both.returncode == 2 and "--token-stdin" in both.stderr
