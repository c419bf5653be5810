"""Two desks' windows on one database (one SQLite file, and a clinic server): a save at one desk shows at
the other within a second, and a save from the other's stale form is refused with who/when/where."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from datetime import date
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QDate
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from epimanager.domain.validation import ChildInput, DoseInput
from epimanager.paths import DbLocation
from epimanager.services.children import create_child
from epimanager.services.doses import add_dose
from epimanager.store.database import Database, open_database
from epimanager.store.models import Child
from epimanager.ui import server_retry
from epimanager.ui.main_window import MainWindow
from tests.conftest import BACKENDS, clinic_location

TODAY = date(2026, 11, 26)


@pytest.fixture(params=BACKENDS)
def clinic(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DbLocation]:
    with ExitStack() as stack:
        yield clinic_location(request.param, tmp_path, stack)


def _desk(qtbot: QtBot, location: DbLocation, desk: str, settings: Path, stack: ExitStack) -> MainWindow:
    db = open_database(location)
    db.desk = desk
    stack.callback(db.close)
    w = MainWindow(db, settings_path=settings, today=lambda: TODAY)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    stack.callback(w.close)
    return w


def test_two_desks_see_each_other_and_a_stale_save_is_refused(
    qtbot: QtBot, clinic: DbLocation, tmp_path: Path, answers: dict[str, list[object]]
) -> None:
    seed: Database = open_database(clinic)
    code = create_child(
        seed, ChildInput(name="徐梦瑶", sex="2", birth_date=date(2026, 3, 1), mother_name="李梅"), today=TODAY
    ).code
    add_dose(seed, code, DoseInput("HepB", 1, date(2026, 3, 1), batch_no="B1"), today=TODAY)
    seed.close()
    with ExitStack() as stack:
        w1 = _desk(qtbot, clinic, "登记台", tmp_path / "s1.json", stack)
        w2 = _desk(qtbot, clinic, "2号接种台", tmp_path / "s2.json", stack)
        assert "2号接种台" in w2.windowTitle() and "工作站：2号接种台" in w2.status.desk_label.text()
        w1.current.open(code)
        w2.current.open(code)
        # desk 2 starts changing the dose's batch …
        dialog = w2.current.edit_dose(w2.current.child.doses[0])  # type: ignore[union-attr]
        assert dialog is not None
        # … while desk 1 changes the phone and the same dose
        w1.current.save_fields(code, {"phone": "13800000001"})
        w1_dose = w1.current.child.doses[0]  # type: ignore[union-attr]
        from epimanager.services.doses import update_dose

        update_dose(w1.db, w1_dose.uuid, {"batch_no": "B9"}, today=TODAY, expected_version=w1_dose.version)
        # desk 2's view follows within a second
        qtbot.waitUntil(lambda: w2.current.child is not None and w2.current.child.phone == "13800000001", timeout=1000)
        assert w2.panel.isVisible()
        # the form opened before desk 1's save keeps its values and is refused on save
        dialog.batch.setEditText("B5")
        dialog.try_save()
        assert dialog.isVisible()
        assert (
            "此记录已被" in dialog.error.text()
            and "登记台" in dialog.error.text()
            and "请刷新后再保存" in dialog.error.text()
        )
        assert dialog.batch.currentText() == "B5"
        assert [d.batch_no for d in w2.current.child.doses] == ["B9"]  # type: ignore[union-attr]
        dialog.reject()


def test_a_lost_server_shows_a_banner_keeps_the_form_and_saves_by_itself_when_back(
    qtbot: QtBot, tmp_path: Path, answers: dict[str, list[object]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.helpers.pg import Cluster, bin_dir

    bindir = bin_dir()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed here")
    # the forms look for the server every 0.2 s instead of 2 s: the same retries, a tenth of the waiting
    monkeypatch.setattr(server_retry, "RETRY_MS", 200)
    cluster = Cluster(bindir).start()  # its own server: this test switches it off
    try:
        import psycopg

        with psycopg.connect(cluster.url(), autocommit=True) as con:
            con.execute("CREATE DATABASE clinic")
        from epimanager.paths import parse_db
        from epimanager.services.units import init_database

        location = parse_db(cluster.url("clinic"))
        init_database(location, "3201020101", "玄武门诊", ["东风村"])
        seed = open_database(location)
        code = create_child(
            seed, ChildInput(name="徐梦瑶", sex="2", birth_date=date(2026, 3, 1), mother_name="李梅"), today=TODAY
        ).code
        seed.close()
        with ExitStack() as stack:
            w = _desk(qtbot, location, "1号接种台", tmp_path / "s.json", stack)
            w.current.open(code)
            dialog = w.current.record_dose("0201")  # 乙肝疫苗
            assert dialog is not None
            dialog.batch.setEditText("B77")
            cluster.pause()
            qtbot.waitUntil(w.status.lost_label.isVisible, timeout=5000)
            assert "与数据库服务器 127.0.0.1" in w.status.lost_label.text()
            dialog.try_save()
            assert dialog.isVisible() and "无法连接数据库服务器 127.0.0.1" in dialog.error.text()
            assert "连上服务器后自动保存" in dialog.error.text()
            assert dialog.batch.currentText() == "B77"  # the form keeps what the nurse typed
            qtbot.wait(2 * server_retry.RETRY_MS + 500)  # it keeps looking (off the UI thread) while the server is away
            assert dialog.isVisible() and dialog.batch.currentText() == "B77"
            cluster.resume()
            # nobody presses save again: the dialog saves by itself once the server answers
            qtbot.waitUntil(lambda: not shiboken6.isValid(dialog) or not dialog.isVisible(), timeout=20000)
            qtbot.waitUntil(lambda: not w.status.lost_label.isVisible(), timeout=20000)
            assert [d.batch_no for d in w.current.child.doses] == ["B77"]  # type: ignore[union-attr]
            # a new child typed while the server is away is registered by itself when it is back
            cluster.pause()
            qtbot.waitUntil(w.status.lost_label.isVisible, timeout=5000)
            form = w.new_child()
            form.name.setText("陈小宝")
            form.mother_name.setText("林芳")
            form.birth_date.setDate(QDate(2026, 11, 20))
            form.try_save()
            assert form.isVisible() and "连上服务器后自动保存" in form.problems.text()
            cluster.resume()
            qtbot.waitUntil(lambda: w.current.child is not None and w.current.child.name == "陈小宝", timeout=20000)
            with w.db.session() as s:
                assert s.scalar(select(func.count()).select_from(Child).where(Child.name == "陈小宝")) == 1
    finally:
        cluster.stop()
