"""The lockout holds against parallel guesses: real threads and real processes on one SQLite file.

30 wrong guesses at the same moment, all with the same clock: whatever the interleaving, the
first four are refused as wrong, the fifth locks the account, and the other 25 find it locked.
Before the fix every guess read the count, hashed for 50 ms and wrote back count + 1, so
parallel guesses overwrote each other (the count ended at 1 and nothing was locked).
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from epimanager.errors import PermissionDenied
from epimanager.services import users
from epimanager.store.database import Database, open_database
from tests.helpers.cli import spawn_python

#: each guess hashes at the program's own cost, so the guesses overlap as long as real ones do
pytestmark = pytest.mark.usefixtures("real_password_cost")

T0 = datetime(2026, 11, 26, 9, 0, 0)
NURSE_PW = "Nurse-Secret-42"


def staff(db: Database) -> None:
    users.create_first_admin(db, "admin", "Admin-Secret-42")
    users.login(db, "admin", "Admin-Secret-42")
    users.add_user(db, "小李", NURSE_PW, "普通用户")


def kinds(messages: list[str]) -> Counter[str]:
    out: Counter[str] = Counter()
    for m in messages:
        if m == users.BAD_LOGIN:
            out["wrong"] += 1
        elif m == "密码错误次数过多，账户 小李 已锁定 5 分钟":
            out["locks"] += 1
        elif m.startswith("账户 小李 因多次密码错误已锁定，请 5 分钟后再试"):
            out["locked"] += 1
        else:
            out[m] += 1
    return out


def assert_locked(db_path: Path, messages: list[str]) -> None:
    assert kinds(messages) == Counter({"wrong": 4, "locks": 1, "locked": 25})
    db = open_database(db_path)
    try:
        u = users.get_user(db, "小李")
        assert u.locked_until is not None and u.failed_count == 0
        # the right password is refused too while the lock lasts
        try:
            users.authenticate(db, "小李", NURSE_PW, now=T0)
        except PermissionDenied as exc:
            assert "请 5 分钟后再试" in exc.message
        else:
            raise AssertionError("the locked account let the right password in")
    finally:
        db.close()


def test_thirty_guesses_in_parallel_threads_lock_the_account(db: Database, db_path: Path) -> None:
    staff(db)
    start = threading.Barrier(30, timeout=60)
    messages: list[str] = []
    lock = threading.Lock()

    def guess(i: int) -> None:
        start.wait()
        try:
            users.authenticate(db, "小李", f"wrong-{i}", now=T0)
        except PermissionDenied as exc:
            with lock:
                messages.append(exc.message)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads)
    assert_locked(db_path, messages)


GUESSER = """
import json, sys
from datetime import datetime
import pytest

from epimanager.errors import PermissionDenied
from epimanager.services import users
from epimanager.store.database import open_database
db = open_database(sys.argv[1])
sys.stdin.readline()  # all processes start guessing together
out = []
for i in range(int(sys.argv[2])):
    try:
        users.authenticate(db, "小李", f"wrong-{i}", now=datetime.fromisoformat(sys.argv[3]))
    except PermissionDenied as exc:
        out.append(exc.message)
db.close()
print(json.dumps(out, ensure_ascii=False))
"""


def test_thirty_guesses_from_three_processes_lock_the_account(db: Database, db_path: Path) -> None:
    staff(db)
    db.close()
    # processes of their own, forked from one that imported the program already
    procs = [spawn_python("-c", GUESSER, str(db_path), "10", T0.isoformat(), stdin=True) for _ in range(3)]
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    messages: list[str] = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        messages += json.loads(out)
    assert_locked(db_path, messages)
