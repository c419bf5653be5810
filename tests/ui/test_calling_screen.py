"""叫号屏 and its announcer: another desk's call shows within a second and is announced through the OS's
programs (real executables put first on PATH that record their arguments)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import date, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from epimanager import settings as prefs
from epimanager.domain.validation import ChildInput
from epimanager.paths import DbLocation
from epimanager.services import visits
from epimanager.services.children import create_child
from epimanager.settings import Settings
from epimanager.store.database import open_database
from epimanager.ui.visits.announcer import Announcer
from epimanager.ui.visits.calling_screen import CallingScreen
from tests.conftest import BACKENDS, clinic_location

TODAY = date(2026, 11, 26)


def at(hour: int, minute: int) -> datetime:
    return datetime(2026, 11, 26, hour, minute)


def fake_programs(folder: Path, names: tuple[str, ...]) -> Path:
    """Executables that append their name and arguments (one line per run) to ``calls.log``."""
    bin_dir = folder / "bin"
    bin_dir.mkdir(exist_ok=True)
    log = folder / "calls.log"
    for name in names:
        script = bin_dir / name
        script.write_text(f'#!/bin/sh\nprintf "%s|%s\\n" "{name}" "$*" >> "{log}"\n', encoding="utf-8")
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return log


@pytest.fixture
def programs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    log = fake_programs(tmp_path, ("espeak-ng", "paplay"))
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}")
    return log


def lines(log: Path) -> list[str]:
    return log.read_text(encoding="utf-8").splitlines() if log.exists() else []


@pytest.fixture(params=BACKENDS)
def clinic(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DbLocation]:
    with ExitStack() as stack:
        yield clinic_location(request.param, tmp_path, stack)


def test_another_desks_call_shows_and_is_announced(
    qtbot: QtBot, clinic: DbLocation, tmp_path: Path, programs: Path
) -> None:
    desk = open_database(clinic)
    desk.desk = "预检台 1"
    screen_db = open_database(clinic)
    try:
        for name in ("徐晓瑶", "张浩", "李四"):
            code = create_child(desk, ChildInput(name, "2", date(2026, 3, 1), mother_name="李梅"), today=TODAY).code
            visits.take(desk, code, now=at(8, 30))
        visits.call(desk, None, "预检", now=at(8, 31))  # already called when the screen opens: not announced
        screen = CallingScreen(screen_db, Settings(), tmp_path / "settings.json", title="测试门诊", today=lambda: TODAY)
        qtbot.addWidget(screen)
        screen.show()
        qtbot.waitUntil(lambda: screen.board is not None, timeout=3000)
        assert screen.call_now.text() == "请 A001 号 徐*瑶 到 1 号预检台"
        assert screen.waiting.text() == "等候 2 人"
        assert "预检 下一位：A002  A003" in screen.next_lines.text()
        assert screen.announced == []

        visits.call(desk, "接种台 2", "预检", now=at(8, 32))  # another desk calls A002
        qtbot.waitUntil(lambda: screen.call_now.text() == "请 A002 号 张* 到 2 号接种台", timeout=3000)
        assert screen.earlier.text() == "请 A001 号 徐*瑶 到 1 号预检台"
        assert screen.waiting.text() == "等候 1 人"
        assert screen.announced == ["请 A002 号 张* 到 2 号接种台"]
        qtbot.waitUntil(lambda: len(lines(programs)) == 2, timeout=5000)
        chime, voice = lines(programs)
        assert chime.startswith("paplay|") and chime.endswith("chime.wav")
        assert voice == "espeak-ng|-v cmn 请 A 零零二 号，到 2 号接种台"

        visits.recall(desk, "A001", desk="预检台 1", now=at(8, 33))  # 重呼: announced again, on top
        qtbot.waitUntil(lambda: screen.call_now.text() == "请 A001 号 徐*瑶 到 1 号预检台", timeout=3000)
        assert screen.announced[-1] == "请 A001 号 徐*瑶 到 1 号预检台"
        qtbot.waitUntil(lambda: len(lines(programs)) == 4, timeout=5000)
        screen.close()
    finally:
        desk.close()
        screen_db.close()


def test_f11_and_esc_and_the_speech_switch(qtbot: QtBot, db_path: Path, tmp_path: Path, programs: Path) -> None:
    db = open_database(db_path)
    settings_file = tmp_path / "settings.json"
    try:
        screen = CallingScreen(db, Settings(), settings_file, today=lambda: TODAY)
        qtbot.addWidget(screen)
        screen.show()
        qtbot.waitExposed(screen)
        QTest.keyClick(screen, Qt.Key.Key_F11)
        qtbot.waitUntil(screen.isFullScreen)
        QTest.keyClick(screen, Qt.Key.Key_Escape)  # leaves full screen, stays open
        qtbot.waitUntil(lambda: not screen.isFullScreen())
        assert screen.isVisible()
        screen.speech_action.setChecked(False)  # 语音播报 off: saved, and only the chime sounds
        assert prefs.load(settings_file).calling_speech is False
        screen.announcer.announce("请 A 零零一 号")
        qtbot.waitUntil(lambda: not screen.announcer.busy, timeout=5000)
        assert [line.split("|")[0] for line in lines(programs)] == ["paplay"]
        QTest.keyClick(screen, Qt.Key.Key_Escape)  # closes
        assert not screen.isVisible()
    finally:
        db.close()


def test_without_any_sound_program_the_announcer_beeps_and_stays_silent(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    announcer = Announcer(speech=True)
    with qtbot.waitSignal(announcer.idle, timeout=3000):
        announcer.announce("请 A 零零一 号")
    assert not announcer.busy
    announcer.stop()


def test_the_chime_is_a_real_short_wav(tmp_path: Path) -> None:
    import wave

    from epimanager.ui.visits.announcer import RATE, write_chime

    with wave.open(str(write_chime(tmp_path / "chime.wav")), "rb") as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, RATE)
        assert w.getnframes() == 2 * int(RATE * 0.25)  # two tones of a quarter second
