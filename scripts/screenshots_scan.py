"""Scan-verified administration (#19 item 3): 44 the dose form's scan field (a refused scan for a
普通用户, the 业务管理员's 强制通过, a passed scan), 45 the recall/lock list — on a small database:
``xvfb-run -a -s "-screen 0 1366x768x24" env QT_QPA_PLATFORM=xcb .venv/bin/python scripts/screenshots_scan.py``
"""

from __future__ import annotations

import sys
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

from PySide6.QtWidgets import QApplication

REPO = Path(__file__).resolve().parent.parent
HEPB = "81234560000000000001"
OTHER = "81234560000000000002"


def main() -> int:
    sys.path.insert(0, str(REPO))
    from epimanager.domain.validation import ChildInput, DoseInput
    from epimanager.services import recalls, users
    from epimanager.services.children import create_child
    from epimanager.services.stock import movements
    from epimanager.services.units import init_database
    from epimanager.settings import Language, Settings
    from epimanager.store.database import open_database
    from epimanager.ui import i18n
    from epimanager.ui.fonts import apply_cjk_font
    from epimanager.ui.main_window import MainWindow
    from scripts.screenshots import UNIT, UNIT_NAME, save, settle

    app = QApplication(sys.argv[:1])
    print("font:", apply_cjk_font(app))
    i18n.install(app, Language.ZH_CN)
    out = REPO / "docs" / "screenshots"
    tmp = Path(tempfile.mkdtemp(prefix="epi-shots-scan-"))
    init_database(tmp / "epi.sqlite", UNIT, UNIT_NAME, ["东风村"])
    db = open_database(tmp / "epi.sqlite")
    today = date.today()
    born = today - timedelta(days=40)  # past 1 month: HepB 2 due
    birth = [DoseInput("HepB", 1, born, site="右上臂"), DoseInput("BCG", 1, born, site="左上臂")]
    code = create_child(db, ChildInput("陈小宝", "1", born, mother_name="林芳"), birth_doses=birth).code
    on = today - timedelta(days=20)
    for batch, expiry in (("202609B", date(today.year + 1, 6, 30)),):
        movements.receive(db, vaccine="HepB", batch_no=batch, expiry=expiry, quantity=50, on=on,
                          manufacturer="深圳康泰", doses_per_vial=1, trace_code=HEPB)  # fmt: skip
    users.create_first_admin(db, "admin", "Admin-Pass-1", "系统管理员")
    users.login(db, "admin", "Admin-Pass-1")
    users.add_user(db, "wanghs", "Nurse-Pass-1", "普通用户", display_name="王海生")
    users.add_user(db, "zhaor", "Boss-Pass-1", "业务管理员", display_name="赵蓉")
    users.login(db, "zhaor", "Boss-Pass-1")
    recalls.add_recall(db, "202609B", reason="县疾控中心通知：运输途中冷链温度超标，暂停使用", vaccine="HepB",
                       manufacturer="深圳康泰", lock=True, now=datetime.now() - timedelta(days=2))  # fmt: skip
    recalls.add_recall(db, "J202605", reason="国家药监局召回通知（2026年第12号）", vaccine="JE-L")
    old = recalls.add_recall(db, "D202604", reason="待复检", vaccine="DTaP", lock=True)
    recalls.lift_recall(db, old.uuid, reason="复检合格，县疾控通知解除", expected_version=old.version)

    w = MainWindow(db, Settings(nurse="王海生"), settings_path=tmp / "settings.json")
    w.resize(1366, 740)
    w.show()
    settle(app, 500)

    # 44: a 普通用户 scans a package of the locked batch: a hard stop, no override
    users.login(db, "wanghs", "Nurse-Pass-1")
    w.current.open(code)
    settle(app, 300)
    dlg = w.current.record_dose("0201")
    assert dlg is not None
    settle(app, 500)
    dlg.scan.edit.setText(HEPB)
    dlg.scan.check()
    settle(app, 300)
    dlg.adjustSize()
    settle(app, 200)
    save(dlg, out, "44-scan-refused.png")
    dlg.reject()

    # 44: the 业务管理员 sees 强制通过 with a reason
    users.login(db, "zhaor", "Boss-Pass-1")
    dlg = w.current.record_dose("0201")
    assert dlg is not None
    settle(app, 500)
    dlg.scan.edit.setText(HEPB)
    dlg.scan.check()
    dlg.scan.reason.setText("县疾控电话确认该支冷链记录正常，同意使用")
    settle(app, 300)
    dlg.adjustSize()
    settle(app, 200)
    save(dlg, out, "44-scan-override.png")
    dlg.reject()

    # 44: after the lock is lifted, the scan passes and fills batch, expiry and manufacturer
    users.login(db, "wanghs", "Nurse-Pass-1")
    locked = [r for r in recalls.list_recalls(db) if r.batch_no == "202609B"]
    users.login(db, "zhaor", "Boss-Pass-1")
    for r in locked:
        recalls.lift_recall(db, r.uuid, reason="复检合格", expected_version=r.version)
    users.login(db, "wanghs", "Nurse-Pass-1")
    dlg = w.current.record_dose("0201")
    assert dlg is not None
    settle(app, 500)
    dlg.scan.edit.setText(OTHER)
    dlg.scan.check()
    settle(app, 300)
    dlg.adjustSize()
    settle(app, 200)
    save(dlg, out, "44-scan-passed.png")
    dlg.reject()

    # 45: the list (库存 → 召回/封存批号, Ctrl+7), lifted entries shown
    users.login(db, "zhaor", "Boss-Pass-1")
    lst = w.open_recalls()
    lst.show_lifted.setChecked(True)
    lst.resize(1200, 360)
    lst.table.resizeColumnsToContents()
    settle(app, 400)
    save(lst, out, "45-recall-list.png")
    lst.reject()
    w.close()
    db.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
