"""A real main window on a real database, with preferences in a temp file."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from epimanager import settings as prefs
from epimanager.store.database import Database
from epimanager.ui import notify
from epimanager.ui.main_window import MainWindow

TODAY = date(2026, 11, 26)


@pytest.fixture
def settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "settings.json"
    monkeypatch.setenv(prefs.ENV_FILE, str(path))
    return path


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[object]]:
    """Modal questions answered by the test: push answers, read what was asked."""
    state: dict[str, list[object]] = {"confirm": [], "text": [], "choice": [], "asked": [], "warnings": []}

    def confirm(_parent: object, title: str, text: str, **_kw: object) -> bool:
        state["asked"].append(f"{title}: {text}")
        return bool(state["confirm"].pop(0)) if state["confirm"] else False

    def ask_text(_parent: object, title: str, label: str, text: str = "") -> str | None:
        state["asked"].append(f"{title}: {label}")
        return state["text"].pop(0) if state["text"] else None  # type: ignore[return-value]

    def ask_choice(_parent: object, title: str, label: str, items: list[str]) -> str | None:
        state["asked"].append(f"{title}: {label} {'/'.join(items)}")
        return state["choice"].pop(0) if state["choice"] else None  # type: ignore[return-value]

    def warning(_parent: object, title: str, text: str) -> None:
        state["warnings"].append(f"{title}: {text}")

    monkeypatch.setattr(notify, "confirm", confirm)
    monkeypatch.setattr(notify, "ask_text", ask_text)
    monkeypatch.setattr(notify, "ask_choice", ask_choice)
    monkeypatch.setattr(notify, "warning", warning)
    return state


@pytest.fixture
def make_window(qtbot: QtBot, db: Database, settings_file: Path) -> Iterator[Callable[[], MainWindow]]:
    made: list[MainWindow] = []

    def make() -> MainWindow:
        w = MainWindow(db, settings_path=settings_file, today=lambda: TODAY)
        qtbot.addWidget(w)
        w.show()
        qtbot.waitExposed(w)
        w.activateWindow()
        qtbot.waitUntil(w.isActiveWindow)
        made.append(w)
        return w

    yield make
    for w in made:
        w.close()


@pytest.fixture
def window(make_window: Callable[[], MainWindow]) -> MainWindow:
    return make_window()


@pytest.fixture(autouse=True)
def _collect_widgets(qapp: QApplication) -> Iterator[None]:
    """Delete each test's widgets while Qt is still up (not at interpreter shutdown)."""
    yield
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Work around a PySide6 6.12 / Python 3.11 crash in the interpreter's last garbage collection.

    With all of tests/ui in one process, the final collection at shutdown aborts with
    ``bool_dealloc: deallocating True or False`` (a refcount error in a C extension; every
    test has passed by then).  Collecting now and freezing what is left keeps that last
    pass away from the Qt wrappers.
    """
    gc.collect()
    gc.freeze()
