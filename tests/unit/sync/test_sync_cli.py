"""``epimanager sync …``, ``platform-sim`` and ``export fhir|hl7`` as a nurse or trainer runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.parser import parse_message

from tests.helpers.cli import REPO, run_cli


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    store = tmp_path / "platform.sqlite"
    proc = subprocess.Popen(
        [sys.executable, "-m", "epimanager", "platform-sim", "--port", "0", "--store", str(store), "--token", "T1"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    url = line[line.index("http://") :].split("（")[0]
    yield url, store
    proc.terminate()
    proc.wait(10)


def test_upload_status_and_a_wrong_token(db_path: Path, sim: tuple[str, Path]) -> None:
    url, store = sim
    added = run_cli(
        "child",
        "add",
        "--name",
        "张浩",
        "--sex",
        "男",
        "--birth-date",
        "2026-03-01",
        "--mother",
        "李梅",
        "--json",
        db=db_path,
    )
    code = json.loads(added.stdout)["code"]
    assert (
        run_cli("dose", "add", code, "--vaccine", "HepB", "--dose", "1", "--date", "2026-03-01", db=db_path).returncode
        == 0
    )
    st = json.loads(run_cli("sync", "status", "--json", db=db_path).stdout)
    assert (st["pending"], st["sent"], st["rejected"], st["last_success"]) == (2, 0, 0, None)

    wrong = run_cli("sync", "upload", "--url", url, "--token", "nope", db=db_path)
    assert wrong.returncode != 0
    assert wrong.stderr.strip().splitlines()[-1].startswith("错误：平台拒绝了本单位的令牌（HTTP 401）")
    assert json.loads(run_cli("sync", "status", "--json", db=db_path).stdout)["sent"] == 0

    assert run_cli("sync", "config", "--url", url, "--token", "T1", db=db_path).returncode == 0
    ok = run_cli("sync", "upload", "--json", db=db_path)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["accepted"] == 2
    st = json.loads(run_cli("sync", "status", "--json", db=db_path).stdout)
    assert (st["pending"], st["sent"]) == (0, 2) and st["last_success"]
    counts = json.loads(run_cli("platform-sim", "--store", store, "--count").stdout)
    assert counts["kinds"] == {"child": 1, "dose": 1, "status": 0, "aefi": 0}
    assert (counts["records"], counts["rows"]) == (2, 2)
    assert json.loads(run_cli("sync", "rejected", "--json", db=db_path).stdout) == []
    assert "没有" in run_cli("sync", "retry", "no-such-uuid", db=db_path).stderr

    found = run_cli("sync", "lookup", "--code", code, "--json", db=db_path)
    assert json.loads(found.stdout)["children"][0]["doses"] == 1
    # the child code under one name across the CLI (``code`` kept as an alias for one release)
    assert (
        json.loads(found.stdout)["children"][0]["child_code"] == code == json.loads(found.stdout)["children"][0]["code"]
    )


def test_export_fhir_and_hl7_from_the_command_line(db_path: Path) -> None:
    added = run_cli(
        "child",
        "add",
        "--name",
        "王芳",
        "--sex",
        "女",
        "--birth-date",
        "2026-02-01",
        "--mother",
        "李梅",
        "--json",
        db=db_path,
    )
    code = json.loads(added.stdout)["code"]
    run_cli("dose", "add", code, "--vaccine", "BCG", "--dose", "1", "--date", "2026-02-01", db=db_path)
    fhir = json.loads(run_cli("export", "fhir", "--child", code, db=db_path).stdout)
    assert [e["resource"]["resourceType"] for e in fhir["entry"]] == ["Patient", "Immunization"]
    hl7 = run_cli("export", "hl7", "--child", code, db=db_path).stdout
    msg = parse_message(hl7.replace("\n", "\r"), validation_level=VALIDATION_LEVEL.STRICT, find_groups=True)
    assert msg.validate() is True
    missing = run_cli("export", "hl7", "--child", "320102010199999999", db=db_path)
    assert missing.returncode == 3 and missing.stderr.startswith("错误：")
