"""The AEFI card (#19 item 4) on a small fixed database, rendered alone:
``xvfb-run -a -s "-screen 0 1366x768x24" env QT_QPA_PLATFORM=xcb LANG=zh_CN.UTF-8 .venv/bin/python
scripts/screenshots_aefi.py``

- 46-aefi-card.png: the second case of a HepB batch (a serious one), saved: the 2-hour limit and the
  time left, the cluster alert, a follow-up;
- 47-aefi-report-card.png: the printed 个案报告卡 (PDF → pdftoppm);
- 47-aefi-f7.png: F7 with the unreported cases and the batch cluster.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

REPO = Path(__file__).resolve().parent.parent
#: today (F7 reads the clock): a HepB 2 given this morning to two children born 2 months ago
NOW = datetime.now().replace(second=0, microsecond=0)
DAY = NOW.date()
BORN = DAY - timedelta(days=61)


def main() -> int:
    sys.path.insert(0, str(REPO))
    from epimanager.domain.aefi import AefiInput
    from epimanager.domain.validation import ChildInput, DoseInput
    from epimanager.services import aefi
    from epimanager.services.children import create_child
    from epimanager.services.doses import add_dose
    from epimanager.services.units import init_database
    from epimanager.settings import Language
    from epimanager.store.database import open_database
    from epimanager.ui import i18n
    from epimanager.ui.aefi import AefiCard
    from epimanager.ui.fonts import apply_cjk_font
    from epimanager.ui.reports.reminders_panel import RemindersPanel
    from scripts.screenshots import UNIT, UNIT_NAME, save, settle

    app = QApplication(sys.argv[:1])
    print("font:", apply_cjk_font(app))
    i18n.install(app, Language.ZH_CN)
    out = REPO / "docs" / "screenshots"
    tmp = Path(tempfile.mkdtemp(prefix="epi-shots-aefi-"))
    init_database(tmp / "epi.sqlite", UNIT, UNIT_NAME, ["东风村"])
    db = open_database(tmp / "epi.sqlite")
    doses = []
    for name, mother, phone in (("王小明", "李梅", "13812345678"), ("陈小宝", "林芳", "13912345678")):
        child = ChildInput(name, "1", BORN, mother_name=mother, phone=phone, committee="东风村")
        code = create_child(db, child, today=DAY).code
        add_dose(db, code, DoseInput("HepB", 1, BORN), today=DAY)
        hep = DoseInput("HepB", 2, DAY, batch_no="202610B07", manufacturer="深圳康泰生物制品股份有限公司")
        doses.append(add_dose(db, code, hep, today=DAY).uuid)
    first = aefi.add_case(
        db, doses[0], AefiInput(NOW - timedelta(minutes=55), symptoms=("201",), reporter="王护士"), now=NOW
    )
    del first
    card = AefiCard(db, choices=[aefi.dose_choice(db, doses[1])], now=lambda: NOW)
    card.onset.setDateTime(card.onset.dateTime().addSecs(-35 * 60))
    for i in range(card.symptoms.count()):
        if card.symptoms.item(i).text() in ("发热 ≥38.6 °C", "过敏性皮疹", "喉头水肿"):
            card.symptoms.item(i).setCheckState(Qt.CheckState.Checked)
    card.text.setText("接种后约 20 分钟出现全身荨麻疹、声音嘶哑，体温 38.8 °C，留观室给予肾上腺素后转诊")
    card.diagnosis.setText("急性过敏反应（喉头水肿）")
    card.severity.setCurrentText("严重")
    card.reporter.setText("王护士")
    card.save()
    card.follow_text.setText("县医院儿科：症状缓解，留院观察")
    card.follow_outcome.setCurrentText("好转")
    card.add_follow_up()
    card.resize(760, 860)
    card.show()
    settle(app, 500)
    save(card, out, "46-aefi-card.png")
    pdf = card.print_to(tmp / "card.pdf")
    shot = str(out / "47-aefi-report-card")
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-singlefile", str(pdf), shot], check=True)
    print(out / "47-aefi-report-card.png")
    card.close()
    panel = RemindersPanel(db, "王护士")
    panel.resize(560, 420)
    panel.show()
    settle(app, 300)
    save(panel, out, "47-aefi-f7.png")
    panel.close()
    db.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
