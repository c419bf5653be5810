"""#16 item 13: a killed backup or restore leaves no plain copy of the clinic beside encrypted
backups, and the next start removes what it left in the data folder's ``tmp/``."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest

from epimanager.services.backup_crypto import MAGIC
from tests.helpers.cli import Forked, run_cli, spawn_python

pytestmark = pytest.mark.slow

PASS = "门诊备份-口令 2026"
NAME = "张浩然"


def start(db: Path, *args: str | Path, pause: str) -> Forked | subprocess.Popen[str]:
    """The real CLI (forked from the zygote), stopped at a fault-injection point (it says so on stderr)."""
    env = {"EPIMANAGER_PAUSE_AT": pause, "EPIMANAGER_BACKUP_PASSPHRASE": PASS}
    p = spawn_python("-m", "epimanager", "--db", str(db), *map(str, args), env=env)
    assert p.stderr is not None
    line = p.stderr.readline()  # blocks until the process reaches the point (or ends)
    assert line.strip() == f"paused at {pause}", line + p.stderr.read()
    return p


def kill(p: Forked | subprocess.Popen[str]) -> None:
    p.send_signal(signal.SIGKILL)
    p.communicate()


def files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def plain_clinic_data(path: Path) -> bool:
    """A file that is, or holds uncompressed, clinic data."""
    raw = path.read_bytes()
    return raw.startswith(b"SQLite format 3") or NAME.encode() in raw


@pytest.fixture
def clinic(tmp_path: Path) -> Path:
    db = tmp_path / "data" / "epi.sqlite"
    db.parent.mkdir()
    assert run_cli("init", "--unit", "3201020101", "--unit-name", "测试", db=db).returncode == 0
    r = run_cli("child", "add", "--name", NAME, "--sex", "男", "--birth-date", "2025-06-01", "--mother", "李梅", db=db)
    assert r.returncode == 0, r.stderr
    return db


@pytest.mark.parametrize("pause", ["backup-after-snapshot", "backup-before-rename"])
def test_killed_encrypted_backup_leaves_nothing_plain_on_the_target(clinic: Path, tmp_path: Path, pause: str) -> None:
    target = tmp_path / "usb"
    p = start(clinic, "backup", "--encrypt", "--to", target, pause=pause)
    # while it runs: the plain snapshot is in the data folder's tmp/, never on the target
    scratch = files(clinic.parent / "tmp")
    assert [f.name for f in scratch] == ["snapshot.sqlite"]
    on_target = files(target)
    if pause == "backup-after-snapshot":  # #16 item 24: the snapshot takes no room on the target
        assert on_target == []
    if pause == "backup-before-rename":
        assert [f.name.endswith(".partial") and f.name.startswith(".") for f in on_target] == [True]
    assert all(f.read_bytes().startswith(MAGIC) for f in on_target)
    kill(p)
    assert not any(plain_clinic_data(f) for f in files(target))
    # the next start (any command) removes what the killed backup left
    assert run_cli("committee", "list", db=clinic).returncode == 0
    assert files(clinic.parent / "tmp") == []
    # the next backup to that folder removes the (encrypted) partial file, and runs normally
    env = {"EPIMANAGER_BACKUP_PASSPHRASE": PASS}
    assert run_cli("backup", "--encrypt", "--to", target, db=clinic, env=env).returncode == 0
    [made] = files(target)
    assert made.name.endswith(".epibak.enc") and made.read_bytes().startswith(MAGIC)


@pytest.mark.parametrize("pause", ["restore-decompressing", "restore-before-switch"])
def test_killed_restore_leaves_no_decrypted_backup_after_the_next_start(
    clinic: Path, tmp_path: Path, pause: str
) -> None:
    env = {"EPIMANAGER_BACKUP_PASSPHRASE": PASS}
    assert run_cli("backup", "--encrypt", "--to", tmp_path / "bk", db=clinic, env=env).returncode == 0
    [saved] = files(tmp_path / "bk")
    before = clinic.read_bytes()
    p = start(clinic, "restore", saved, pause=pause)
    # the decrypted data only ever sits in tmp/ of the data folder (no decrypted .gz at all)
    leftover = files(clinic.parent / "tmp")
    assert leftover and all(f.name == "restore.sqlite" for f in leftover)
    kill(p)
    assert clinic.read_bytes() == before  # the database was not touched
    assert run_cli("committee", "list", db=clinic).returncode == 0  # the next start
    assert files(clinic.parent / "tmp") == []
    decrypted = [f for f in files(clinic.parent) if f != clinic and plain_clinic_data(f)]
    assert decrypted == []
    assert files(tmp_path / "bk") == [saved]


def test_what_killed_jobs_of_the_earlier_version_left_is_removed_at_the_next_start(clinic: Path) -> None:
    """The sweep found 1.3 GB of ``tmp*/snapshot.sqlite`` and ``.partial`` files after 8 kills."""
    data, backups = clinic.parent, clinic.parent / "backups"
    backups.mkdir(exist_ok=True)
    leftovers = [backups / "tmpk2x9_a0q" / "snapshot.sqlite", data / "tmp8d7f6e5d" / "restore.gz"]
    for f in leftovers:
        f.parent.mkdir()
        f.write_bytes(clinic.read_bytes())
    (data / "tmp8d7f6e5d" / "restore.sqlite").write_bytes(clinic.read_bytes())
    partial = backups / "3201020101-20261201-120000.epibak.partial"
    partial.write_bytes(b"\x1f\x8b plain")
    # what is not such a leftover stays: a finished backup, a folder of the user's that looks alike
    kept = [backups / "3201020101-20261130-120000.epibak.gz", backups / "tmpmine0001" / "notes.txt"]
    for f in kept:
        f.parent.mkdir(exist_ok=True)
        f.write_bytes(b"keep")
    assert run_cli("committee", "list", db=clinic).returncode == 0
    assert not any(f.exists() for f in [*leftovers, partial])
    assert not (backups / "tmpk2x9_a0q").exists() and not (data / "tmp8d7f6e5d").exists()
    assert all(f.read_bytes() == b"keep" for f in kept)
