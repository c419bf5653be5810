"""知情告知 (登记): the 告知书 of each vaccine on today's order, the guardian's choice and signature.

Left: the order's vaccines with what is on record today (未告知 / 已签署知情同意 / 纸质签字 / 拒绝 /
到点再议); ↑/↓ choose one.  Right: its 告知书 (the generic one marked as such), the choice
同意 / 不同意 / 到点再议 (Alt+1/2/3), the reason of a 不同意, 纸质签字 (Alt+Z) and the signature pad
with 撤销 (Alt+U) and 清除 (Alt+C).  Enter or Ctrl+S saves through the consent service (which checks
everything: a signature or paper, a reason, the text still current, the version seen) and goes on
to the next vaccine not yet decided; after the last one the dialog closes.  Esc closes.
"""

from __future__ import annotations

import datetime as dt
from html import escape

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QRadioButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from epimanager.domain.consent import Choice, ConsentText
from epimanager.errors import EpiError
from epimanager.services.consent import ConsentRecord, consents_of, record_consent
from epimanager.services.consent_texts import text_for
from epimanager.services.records import ChildRecord
from epimanager.services.visit_order import OrderLine, VisitOrderRecord
from epimanager.store.database import Database
from epimanager.ui.consent.signature_pad import SignaturePad

_CHOICES = (Choice.AGREE, Choice.REFUSE, Choice.DEFER)


class ConsentDialog(QDialog):
    """Consent for the items of ``order`` (the child's visit today); ``saved`` lists what was stored."""

    def __init__(
        self,
        db: Database,
        child: ChildRecord,
        order: VisitOrderRecord,
        user: str | None = None,
        save_key: str = "Ctrl+S",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.db, self.child, self.order, self.user = db, child, order, user
        self.items: list[OrderLine] = list(order.items)
        self.saved: list[ConsentRecord] = []
        self.on_record: dict[str, ConsentRecord] = {c.vaccine_code: c for c in consents_of(db, child.code, order.day)}
        self.text: ConsentText | None = None
        self.setWindowTitle(self.tr("知情告知 · %1（%2 号）").replace("%1", child.name).replace("%2", order.ticket))
        self.setMinimumSize(900, 640)

        self.vaccines = QListWidget()
        self.vaccines.setObjectName("consentVaccines")
        self.vaccines.setMaximumWidth(260)
        self.vaccines.currentRowChanged.connect(self._show)
        self.generic = QLabel(self.tr("通用告知书：本疫苗尚无专用告知书，请同时阅读疫苗说明书"))
        self.generic.setObjectName("genericText")
        self.generic.setStyleSheet("color: #a05a00; font-weight: bold")
        self.generic.setWordWrap(True)
        self.browser = QTextBrowser()
        self.browser.setObjectName("consentText")
        self.version = QLabel()
        self.state = QLabel()
        self.state.setObjectName("consentState")

        self.group = QButtonGroup(self)
        choices = QHBoxLayout()
        labels = (self.tr("同意(&1)"), self.tr("不同意(&2)"), self.tr("到点再议(&3)"))
        self.buttons: list[QRadioButton] = []
        for i, label in enumerate(labels):
            button = QRadioButton(label)
            self.group.addButton(button, i)
            self.buttons.append(button)
            choices.addWidget(button)
        self.group.idToggled.connect(self._choice_changed)
        self.paper = QCheckBox(self.tr("纸质签字(&Z)"))
        self.paper.toggled.connect(self._paper_changed)
        choices.addStretch(1)
        choices.addWidget(self.paper)
        self.reason = QLineEdit()
        self.reason.setObjectName("consentReason")
        self.reason.setPlaceholderText(self.tr("不同意的原因（必填），到点再议可写备注"))
        self.reason.setMaxLength(200)
        self.pad = SignaturePad()
        undo = QPushButton(self.tr("撤销一笔(&U)"))
        undo.clicked.connect(self.pad.undo)
        clear = QPushButton(self.tr("清除签名(&C)"))
        clear.clicked.connect(self.pad.clear)
        for b in (undo, clear):
            b.setAutoDefault(False)
        pad_keys = QHBoxLayout()
        pad_keys.addWidget(QLabel(self.tr("监护人签名：")))
        pad_keys.addStretch(1)
        pad_keys.addWidget(undo)
        pad_keys.addWidget(clear)
        self.error = QLabel()
        self.error.setObjectName("error")
        self.error.setStyleSheet("color: #b00020")
        self.error.setWordWrap(True)
        std = QDialogButtonBox.StandardButton
        box = QDialogButtonBox(std.Save | std.Cancel)
        self.save_button = box.button(std.Save)
        self.save_button.setText(self.tr("保存(&S)"))
        self.save_button.setDefault(True)
        box.button(std.Cancel).setText(self.tr("关闭"))
        box.accepted.connect(self.try_save)
        box.rejected.connect(self.reject)
        QShortcut(QKeySequence(save_key), self).activated.connect(self.try_save)

        right = QVBoxLayout()
        right.addWidget(self.generic)
        right.addWidget(self.browser, 1)
        right.addWidget(self.version)
        right.addWidget(self.state)
        right.addLayout(choices)
        right.addWidget(self.reason)
        right.addLayout(pad_keys)
        right.addWidget(self.pad)
        body = QHBoxLayout()
        body.addWidget(self.vaccines)
        body.addLayout(right, 1)
        heading = QLabel(
            self.tr("%1 号　%2　出生 %3　请向监护人告知以下疫苗，并由监护人选择、签字")
            .replace("%1", order.ticket)
            .replace("%2", child.name)
            .replace("%3", child.birth_date.isoformat())
        )
        heading.setStyleSheet("font-weight: bold; font-size: 13pt")
        heading.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addLayout(body, 1)
        layout.addWidget(self.error)
        layout.addWidget(box)
        for line in self.items:
            self.vaccines.addItem(self._item_text(line))
        self.vaccines.setCurrentRow(self._next_open(0) if self.items else -1)
        self.vaccines.setFocus()

    # -- the list ---------------------------------------------------------------------------

    def status_of(self, code: str) -> str:
        found = self.on_record.get(code)
        # the service's words, translated like the receipt's (context "Print")
        return QCoreApplication.translate("Print", found.status) if found is not None else self.tr("未告知")

    def _item_text(self, line: OrderLine) -> str:
        return f"{line.name} 第{line.dose_number}剂\n    【{self.status_of(line.code)}】"

    def _next_open(self, start: int) -> int:
        """The first item from ``start`` on (then from the top) with no decision yet, else ``start``."""
        n = len(self.items)
        for i in [*range(start, n), *range(start)]:
            found = self.on_record.get(self.items[i].code)
            if found is None or found.choice is Choice.DEFER:
                return i
        return min(start, n - 1)

    def current(self) -> OrderLine | None:
        row = self.vaccines.currentRow()
        return self.items[row] if 0 <= row < len(self.items) else None

    def _show(self, row: int) -> None:
        self.error.setText("")
        self.pad.clear()
        line = self.current()
        if line is None:
            return
        text = text_for(line.code)
        self.text = text
        self.generic.setVisible(text.generic)
        sections = "".join(f"<h3>{escape(h)}</h3><p>{escape(t)}</p>" for h, t in text.sections)
        self.browser.setHtml(f"<h2>{escape(text.title)}</h2>{sections}")
        self.version.setText(self.tr("告知书版本：%1").replace("%1", text.version))
        found = self.on_record.get(line.code)
        if found is None:
            self.state.setText(self.tr("今日尚未告知"))
            self.buttons[0].setChecked(True)
            self.paper.setChecked(False)
            self.reason.clear()
        else:
            self.state.setText(
                self.tr("已记录：%1（%2 %3，第 %4 版）；再次保存将更改")
                .replace("%1", self.status_of(line.code))
                .replace("%2", found.operator or "")
                .replace("%3", found.at.strftime("%H:%M"))
                .replace("%4", str(found.version))
            )
            self.buttons[_CHOICES.index(found.choice)].setChecked(True)
            self.paper.setChecked(found.paper)
            self.reason.setText(found.reason or "")
        self._choice_changed(self.group.checkedId(), True)

    def choice(self) -> Choice:
        return _CHOICES[max(self.group.checkedId(), 0)]

    def _choice_changed(self, _id: int, checked: bool) -> None:
        if not checked:
            return
        defer = self.choice() is Choice.DEFER
        self.reason.setEnabled(self.choice() is not Choice.AGREE)
        self.paper.setEnabled(not defer)
        if defer:
            self.paper.setChecked(False)
        self.pad.setEnabled(not defer and not self.paper.isChecked())

    def _paper_changed(self, on: bool) -> None:
        if on:
            self.pad.clear()
        self.pad.setEnabled(not on and self.choice() is not Choice.DEFER)

    # -- saving -----------------------------------------------------------------------------

    def try_save(self) -> None:
        line, text = self.current(), self.text
        if line is None or text is None:
            return
        found = self.on_record.get(line.code)
        strokes = [list(s) for s in self.pad.strokes]
        try:
            now = dt.datetime.combine(self.order.day, dt.datetime.now().time())  # the visit's day
            saved = record_consent(
                self.db, self.child.code, line.code, self.choice(), paper=self.paper.isChecked(), strokes=strokes,
                png=self.pad.to_png() if strokes else None, reason=self.reason.text(),
                dose_number=line.dose_number, shown_text_sha256=text.sha256,
                expected_version=found.version if found is not None else 0, user=self.user, now=now,
            )  # fmt: skip
        except EpiError as exc:
            self.error.setText(exc.message)
            return
        self.saved.append(saved)
        self.on_record[line.code] = saved
        row = self.vaccines.currentRow()
        self.vaccines.item(row).setText(self._item_text(line))
        following = self._next_open(row + 1 if row + 1 < len(self.items) else 0)
        nothing_open = all(
            (c := self.on_record.get(i.code)) is not None and c.choice is not Choice.DEFER for i in self.items
        )
        if nothing_open:
            self.accept()
        elif following == row:
            self._show(row)  # the same vaccine again (到点再议 and nothing else open): a clean pad
        else:
            self.vaccines.setCurrentRow(following)
