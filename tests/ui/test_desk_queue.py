"""The desks of the clinic flow by keys alone: 取号 → 叫号 → … → 留观 → 完成 on one PC (综合), a second
desk on the same file following, a missed call back in the queue and the third miss cancelling."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog
from pytestqt.qtbot import QtBot

from epimanager import settings as prefs
from epimanager.domain.validation import ChildInput
from epimanager.paths import DbLocation
from epimanager.services import users, visits
from epimanager.services.children import create_child
from epimanager.services.config import visit_flow
from epimanager.store.database import Database, open_database
from epimanager.ui.login_dialog import LoginDialog
from epimanager.ui.main_window import MainWindow
from epimanager.ui.visits.desk_choice import desk_choices
from epimanager.ui.visits.desk_keys import DeskController
from tests.conftest import BACKENDS, clinic_location
from tests.ui.conftest import TODAY

Mod = Qt.KeyboardModifier
CTRL, SHIFT = Mod.ControlModifier, Mod.ShiftModifier
T0 = datetime(TODAY.year, TODAY.month, TODAY.day, 9, 0)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)


def press(qtbot: QtBot, key: Qt.Key, modifier: Qt.KeyboardModifier = Mod.NoModifier) -> None:
    """A key as the keyboard sends it: to whatever has the focus."""
    widget = QApplication.focusWidget()
    assert widget is not None, "nothing has the keyboard"
    qtbot.keyClick(widget, key, modifier)


def rows(desk: DeskController) -> list[tuple[str, str, str, str]]:
    """号, 步骤, 状态, 过号 of the rows the desk shows."""
    t = desk.panel.table
    return [tuple(t.item(r, c).text() for c in (0, 2, 3, 5)) for r in range(t.rowCount())]  # type: ignore[misc]


def child(db: Database, name: str) -> str:
    return create_child(db, ChildInput(name, "1", date(2026, 3, 1), mother_name="李梅"), today=TODAY).code


def desk_window(qtbot: QtBot, db: Database, desk: str, settings: Path, clock: Clock) -> MainWindow:
    db.desk = desk
    w = MainWindow(db, settings_path=settings, today=lambda: TODAY)
    w.desk_keys.clock = clock
    w.desk_keys.apply_desk()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow)
    w.present()
    return w


def to_front(qtbot: QtBot, w: MainWindow) -> None:
    w.activateWindow()
    w.present()
    qtbot.waitUntil(lambda: w.isActiveWindow() and (f := QApplication.focusWidget()) is not None and f.window() is w)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_a_whole_visit_by_keys_alone_at_one_combined_desk(
    qtbot: QtBot, db: Database, tmp_path: Path, clock: Clock
) -> None:
    code = child(db, "张浩")
    w = desk_window(qtbot, db, "综合", tmp_path / "s.json", clock)
    desk = w.desk_keys
    assert "综合" in w.windowTitle() and "工作站：综合" in w.status.desk_label.text()
    assert desk.dock.isVisible() and desk.panel.title.text() == "综合 · 预检、登记、接种、留观"
    w.current.open(code)
    w.present()
    press(qtbot, Qt.Key.Key_T, CTRL)  # 取号 for the child on screen
    assert desk.panel.message.text() == "张浩 取号：A001（预检等候）"
    assert rows(desk) == [("A001", "预检", "等候", "")]
    w.current.open(child(db, "别人"))  # the nurse looks at another child meanwhile
    # 预检: F11 calls and opens the child; Enter in the queue marks it 进行中; F12 passes it on
    clock.advance(1)
    press(qtbot, Qt.Key.Key_F11)
    assert desk.panel.message.text() == "请 A001 号 张浩 到 综合"
    assert w.current.child is not None and w.current.child.code == code
    assert rows(desk) == [("A001", "预检", "已叫号", "")]
    press(qtbot, Qt.Key.Key_D, CTRL | SHIFT)
    assert QApplication.focusWidget() is desk.panel.table
    press(qtbot, Qt.Key.Key_Return)
    assert rows(desk) == [("A001", "预检", "进行中", "")]
    assert QApplication.focusWidget() is w.grid.table  # the child's 日常接种 screen has the keyboard
    press(qtbot, Qt.Key.Key_F12)
    assert desk.panel.message.text() == "A001 已转到 登记"
    assert rows(desk) == [("A001", "登记", "等候", "")]
    for step, following in (("登记", "接种"), ("接种", "留观")):
        clock.advance(2)
        press(qtbot, Qt.Key.Key_F11)
        assert rows(desk) == [("A001", step, "已叫号", "")]
        press(qtbot, Qt.Key.Key_F12)
        assert desk.panel.message.text() == f"A001 已转到 {following}"
    assert rows(desk) == [("A001", "留观", "进行中", "")]
    assert desk.panel.table.item(0, 4).text() == "0 分钟"
    # 留观 is not called; after the 30 minutes F12 lets the child go
    press(qtbot, Qt.Key.Key_F11)
    assert "没有等候的号" in desk.panel.message.text() and rows(desk) == [("A001", "留观", "进行中", "")]
    clock.advance(30)
    desk.refresh()
    assert desk.panel.table.item(0, 4).text() == "30 分钟"
    press(qtbot, Qt.Key.Key_F12)
    assert desk.panel.message.text() == "A001 完成" and rows(desk) == []
    history = [(e.kind, e.to_step, e.desk) for e in visits.events(db, "A001", TODAY)]
    assert history == [
        ("take", "预检", "综合"),
        ("call", "预检", "综合"),
        ("start", "预检", "综合"),
        ("finish", "登记", "综合"),
        ("call", "登记", "综合"),
        ("finish", "接种", "综合"),
        ("call", "接种", "综合"),
        ("finish", "留观", "综合"),
        ("finish", "完成", "综合"),
    ]


@pytest.fixture(params=BACKENDS)
def clinic(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DbLocation]:
    """One SQLite file, or one clinic server (the feed then hears the other desk by NOTIFY)."""
    with ExitStack() as stack:
        yield clinic_location(request.param, tmp_path, stack)


@pytest.fixture
def two_desks(
    qtbot: QtBot, clinic: DbLocation, tmp_path: Path, clock: Clock
) -> Iterator[tuple[Database, Callable[[str], MainWindow]]]:
    with ExitStack() as stack:

        def make(name: str) -> MainWindow:
            handle = open_database(clinic)
            stack.callback(handle.close)
            w = desk_window(qtbot, handle, name, tmp_path / f"{name}.json", clock)
            stack.callback(w.close)
            return w

        seed = open_database(clinic)
        stack.callback(seed.close)
        yield seed, make


def test_a_second_desk_sees_the_hand_off_and_a_wrong_key_changes_nothing(
    qtbot: QtBot, two_desks: tuple[Database, Callable[[str], MainWindow]], clock: Clock
) -> None:
    db, desk_at = two_desks
    visit_flow.set_flow(db, steps=["登记", "接种", "留观"])
    code = child(db, "徐梦瑶")
    register, vaccinate = desk_at("登记台"), desk_at("2号接种台")
    assert vaccinate.desk_keys.panel.title.text() == "2号接种台 · 接种" and rows(vaccinate.desk_keys) == []
    to_front(qtbot, register)
    register.current.open(code)
    press(qtbot, Qt.Key.Key_T, CTRL)
    press(qtbot, Qt.Key.Key_F11)
    press(qtbot, Qt.Key.Key_F12)
    assert register.desk_keys.panel.message.text() == "A001 已转到 接种" and rows(register.desk_keys) == []
    # the 接种台 follows within a second (the change feed)
    qtbot.waitUntil(lambda: rows(vaccinate.desk_keys) == [("A001", "接种", "等候", "")], timeout=1500)
    to_front(qtbot, vaccinate)
    press(qtbot, Qt.Key.Key_D, CTRL | SHIFT)
    press(qtbot, Qt.Key.Key_F12)  # not called yet: refused in red, nothing changes
    message = vaccinate.desk_keys.panel.message
    assert message.text() == "A001 在接种等候，尚未叫号，不能完成本步骤" and "#b00020" in message.styleSheet()
    assert rows(vaccinate.desk_keys) == [("A001", "接种", "等候", "")]
    press(qtbot, Qt.Key.Key_F11)
    assert message.text() == "请 A001 号 徐梦瑶 到 2号接种台"
    assert vaccinate.current.child is not None and vaccinate.current.child.code == code
    record = visits.list_visits(db, day=TODAY)[0]
    assert (record.status, record.desk) == ("已叫号", "2号接种台")


def test_a_missed_call_goes_to_the_back_of_the_queue_and_the_third_miss_cancels(
    qtbot: QtBot, db: Database, tmp_path: Path, clock: Clock
) -> None:
    first, second, third = child(db, "张浩"), child(db, "李娜"), child(db, "王芳")
    for i, code in enumerate((first, second, third)):
        visits.take(db, code, desk="登记台", now=T0 + timedelta(seconds=i))
    w = desk_window(qtbot, db, "预检台", tmp_path / "s.json", clock)
    desk = w.desk_keys
    clock.advance(1)
    press(qtbot, Qt.Key.Key_F11)
    assert rows(desk)[0] == ("A001", "预检", "已叫号", "")
    press(qtbot, Qt.Key.Key_F11, CTRL)  # 过号: A001 to the back
    assert desk.panel.message.text() == "A001 过号（第 1 次），回到队尾"
    assert rows(desk) == [("A002", "预检", "等候", ""), ("A003", "预检", "等候", ""), ("A001", "预检", "等候", "1")]
    press(qtbot, Qt.Key.Key_F11)
    assert desk.panel.message.text() == "请 A002 号 李娜 到 预检台"
    press(qtbot, Qt.Key.Key_F12)  # A002 came and is passed on
    # a call nobody answers goes back by itself after 5 minutes (the desk's timer)
    press(qtbot, Qt.Key.Key_F11)
    assert rows(desk)[0] == ("A003", "预检", "已叫号", "")
    clock.advance(6)
    desk.expire_in_background()
    qtbot.waitUntil(lambda: rows(desk) == [("A001", "预检", "等候", "1"), ("A003", "预检", "等候", "1")], timeout=3000)
    # A001: missed a second time, to the back again (A003 is next), then a third time: cancelled
    press(qtbot, Qt.Key.Key_F11)
    assert rows(desk)[0][:3] == ("A001", "预检", "已叫号")
    press(qtbot, Qt.Key.Key_F11, CTRL)
    assert rows(desk) == [("A003", "预检", "等候", "1"), ("A001", "预检", "等候", "2")]
    press(qtbot, Qt.Key.Key_F11)
    press(qtbot, Qt.Key.Key_F12)
    press(qtbot, Qt.Key.Key_F11)
    assert rows(desk) == [("A001", "预检", "已叫号", "2")]
    press(qtbot, Qt.Key.Key_F11, CTRL)
    assert desk.panel.message.text() == "A001 过号 3 次，已取消"
    assert rows(desk) == []
    assert [(v.ticket, v.step) for v in visits.list_visits(db, day=TODAY)] == [
        ("A002", "登记"),
        ("A003", "登记"),
        ("A001", "取消"),
    ]


def test_a_pc_without_a_desk_works_as_before(qtbot: QtBot, window: MainWindow, db: Database) -> None:
    desk = window.desk_keys
    assert not desk.dock.isVisible() and desk.steps == ()
    press(qtbot, Qt.Key.Key_F11)
    assert window.status.currentMessage() == "本机没有选择工作台：请在 系统 → 切换工作台 选择"
    assert visits.list_visits(db, day=TODAY) == []


def test_switching_the_desk_shows_it_and_remembers_it(qtbot: QtBot, window: MainWindow, settings_file: Path) -> None:
    dialog = window.desk_keys.choose_desk()
    combo = dialog.combo
    assert [combo.itemText(i) for i in range(combo.count())][:4] == [
        "不分工作台（不叫号）",
        "预检台",
        "登记台",
        "1号接种台",
    ]
    combo.setCurrentIndex(combo.findText("登记台"))
    dialog.accept()
    assert window.db.desk == "登记台" and "登记台" in window.windowTitle()
    assert "工作站：登记台" in window.status.desk_label.text() and window.desk_keys.dock.isVisible()
    assert prefs.load(settings_file).desk == "登记台"


def test_the_login_asks_for_the_desk_with_last_time_s_preselected(qtbot: QtBot, db: Database) -> None:
    users.create_first_admin(db, "wanghs", "secret-123", "王护士")
    dialog = LoginDialog(db, desks=desk_choices(db), desk="2号接种台")
    qtbot.addWidget(dialog)
    assert dialog.desk_box is not None and dialog.desk_box.currentText() == "2号接种台"
    dialog.desk_box.setCurrentIndex(dialog.desk_box.findText("综合"))
    dialog.user.setText("wanghs")
    dialog.password.setText("secret-123")
    dialog.ok_button.click()
    assert dialog.result() == QDialog.DialogCode.Accepted and dialog.desk == "综合"
    plain = LoginDialog(db)  # the lock screen's login: no desk to pick
    qtbot.addWidget(plain)
    assert plain.desk_box is None


def test_back_cancel_and_leaving_observation_early_ask_for_a_reason(
    qtbot: QtBot, db: Database, tmp_path: Path, clock: Clock, answers: dict[str, list[object]]
) -> None:
    visit_flow.set_flow(db, steps=["登记", "接种", "留观"])
    first, second = child(db, "张浩"), child(db, "李娜")
    w = desk_window(qtbot, db, "综合", tmp_path / "s.json", clock)
    desk = w.desk_keys
    for code in (first, second):
        w.current.open(code)
        press(qtbot, Qt.Key.Key_T, CTRL)
    press(qtbot, Qt.Key.Key_F11)  # A001 at 登记
    press(qtbot, Qt.Key.Key_F12)
    press(qtbot, Qt.Key.Key_F11)  # A001 at 接种 (later steps first)
    assert rows(desk) == [("A002", "登记", "等候", ""), ("A001", "接种", "已叫号", "")]
    assert desk.panel.selected_ticket() == "A001"
    # 退回: a reason asked; cancelled, nothing changes
    press(qtbot, Qt.Key.Key_F12, SHIFT)
    assert answers["asked"][-1] == "退回: A001 退回到登记的原因："
    assert rows(desk) == [("A002", "登记", "等候", ""), ("A001", "接种", "已叫号", "")]
    answers["text"].append("疫苗选错，重新登记")
    clock.advance(3)
    press(qtbot, Qt.Key.Key_F12, SHIFT)
    assert desk.panel.message.text() == "A001 已退回到 登记"
    assert rows(desk) == [("A002", "登记", "等候", ""), ("A001", "登记", "等候", "")]  # back at the end
    back = [e for e in visits.events(db, "A001", TODAY) if e.kind == "back"]
    assert [(e.to_step, e.reason, e.desk) for e in back] == [("登记", "疫苗选错，重新登记", "综合")]
    # 取消号 of the selected ticket, with its reason
    assert desk.panel.select("A002")
    answers["text"].append("家长带孩子回家了")
    press(qtbot, Qt.Key.Key_F12, CTRL)
    assert answers["asked"][-1] == "取消号: 取消 A002 号（李娜）的原因："
    assert desk.panel.message.text() == "A002 已取消" and [r[0] for r in rows(desk)] == ["A001"]
    # A001 again through 登记 and 接种; 10 minutes into 留观 F12 asks why it ends early
    for _ in range(2):
        press(qtbot, Qt.Key.Key_F11)
        press(qtbot, Qt.Key.Key_F12)
    clock.advance(10)
    press(qtbot, Qt.Key.Key_F12)  # no reason given: still observed
    assert answers["asked"][-1] == "提前结束留观: A001 留观未满 30 分钟，提前离开的原因："
    assert rows(desk) == [("A001", "留观", "进行中", "")]
    answers["text"].append("家长坚持离开，已告知注意事项")
    press(qtbot, Qt.Key.Key_F12)
    assert desk.panel.message.text() == "A001 完成" and rows(desk) == []
    last = visits.events(db, "A001", TODAY)[-1]
    assert (last.to_step, last.reason) == ("完成", "家长坚持离开，已告知注意事项")


def test_back_from_inoculation_asks_which_earlier_step(
    qtbot: QtBot, db: Database, tmp_path: Path, clock: Clock, answers: dict[str, list[object]]
) -> None:
    """All four steps on: from 接种 a ticket may go back to 登记 or to 预检 — the desk chooses (nearest first)."""
    code = child(db, "张浩")
    w = desk_window(qtbot, db, "综合", tmp_path / "s.json", clock)
    desk = w.desk_keys
    w.current.open(code)
    press(qtbot, Qt.Key.Key_T, CTRL)
    for _ in range(2):  # 预检, 登记 done
        press(qtbot, Qt.Key.Key_F11)
        press(qtbot, Qt.Key.Key_F12)
    press(qtbot, Qt.Key.Key_F11)
    assert rows(desk) == [("A001", "接种", "已叫号", "")]
    press(qtbot, Qt.Key.Key_F12, SHIFT)  # the choice cancelled: nothing asked further, nothing changes
    assert answers["asked"][-1] == "退回: A001 退回到哪一步： 登记/预检"
    assert rows(desk) == [("A001", "接种", "已叫号", "")]
    answers["choice"].append("预检")
    answers["text"].append("体温复测")
    clock.advance(2)
    press(qtbot, Qt.Key.Key_F12, SHIFT)
    assert answers["asked"][-1] == "退回: A001 退回到预检的原因："
    assert desk.panel.message.text() == "A001 已退回到 预检"
    assert rows(desk) == [("A001", "预检", "等候", "")]
    back = [e for e in visits.events(db, "A001", TODAY) if e.kind == "back"]
    assert [(e.from_step, e.to_step, e.reason) for e in back] == [("接种", "预检", "体温复测")]
