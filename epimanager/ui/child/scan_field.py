"""The 接种台's scan field in the dose form: a keyboard-wedge scanner types a 追溯码 or a GS1
DataMatrix string and Enter; the service checks it (:func:`~epimanager.services.administration.verify_scan`).

A refusal is a hard stop: a red panel names every reason, the field is cleared and keeps the
focus, and the form cannot be saved with that package (the dose service checks the scan again).
A 业务管理员 sees 强制通过 with a reason field; the override is audited when the dose is saved.
A passed scan fills batch, expiry and manufacturer.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from epimanager.errors import EpiError, PermissionDenied
from epimanager.services import permissions
from epimanager.services.administration import ScanRefused, ScanVerdict, verify_scan
from epimanager.store.database import Database
from epimanager.ui.grow import grow_to_fit

_RED = "QLabel { color: #ffffff; background: #b00020; padding: 6px; font-weight: bold }"
_GREEN = "QLabel { color: #1b5e20; padding: 2px; font-weight: bold }"
_AMBER = "QLabel { color: #000000; background: #ffcc80; padding: 6px; font-weight: bold }"


class ScanLine(QLineEdit):
    """The scanner's Enter checks the scan and stops there: it never also presses the form's 保存."""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        super().keyPressEvent(event)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.accept()


class ScanField(QWidget):
    """Scan line, result panel, and (业务管理员 only) the override with its reason."""

    #: a scan passed (or was let through): the form takes its batch, expiry and manufacturer
    passed = Signal(object)

    def __init__(
        self, db: Database, child_code: str, vaccine: Callable[[], str | None], day: Callable[[], date]
    ) -> None:
        super().__init__()
        self.db, self.child_code, self._vaccine, self._day = db, child_code, vaccine, day
        #: the scanned text the dose is saved with (None: nothing scanned)
        self.scanned: str | None = None
        #: the 业务管理员's reason when a refused scan was let through
        self.override_reason: str | None = None
        self.verdict: ScanVerdict | None = None
        self.refused = False
        self.edit = ScanLine()
        self.edit.setObjectName("scan")
        self.edit.setPlaceholderText(self.tr("扫描追溯码或疫苗二维码（扫码枪自动回车）"))
        self.edit.returnPressed.connect(self.check)
        self.result = QLabel()
        self.result.setObjectName("scanResult")
        self.result.setWordWrap(True)
        self.result.hide()
        self.reason = QLineEdit()
        self.reason.setObjectName("overrideReason")
        self.reason.setPlaceholderText(self.tr("强制通过的原因（记入审计）"))
        self.override_button = QPushButton(self.tr("强制通过(&O)"))
        self.override_button.setObjectName("override")
        self.override_button.clicked.connect(self.override)
        self.reason.returnPressed.connect(self.override)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.reason, 1)
        row.addWidget(self.override_button)
        self.override_row = QWidget()
        self.override_row.setLayout(row)
        self.override_row.hide()
        self.may_override = self._may_override()
        v = QVBoxLayout(self)
        v.setContentsMargins(0, 0, 0, 0)
        v.addWidget(self.edit)
        v.addWidget(self.result)
        v.addWidget(self.override_row)

    def _may_override(self) -> bool:
        try:
            permissions.check(self.db, "scan_override")
        except PermissionDenied:
            return False
        return True

    def reset(self) -> None:
        """Another vaccine or day: an earlier scan no longer stands."""
        self.scanned = self.override_reason = self.verdict = None
        self.refused = False
        self.result.hide()
        self.override_row.hide()

    def check(self) -> None:
        text = self.edit.text().strip()
        if not text:
            return
        self.reset()
        self.scanned = text
        self._run(None)

    def override(self) -> None:
        if not self.refused or self.scanned is None:
            return
        why = self.reason.text().strip()
        if not why:
            self._show(_RED, self.tr("请填写强制通过的原因"))
            self.reason.setFocus()
            return
        self._run(why)

    def _run(self, override: str | None) -> None:
        vaccine = self._vaccine()
        if vaccine is None:
            self._show(_RED, self.tr("请先选择疫苗，再扫码"))
            return
        assert self.scanned is not None
        try:
            v = verify_scan(
                self.db, self.child_code, self.scanned, vaccine=vaccine, day=self._day(), override_reason=override
            )
        except ScanRefused as exc:
            self.refused = True
            lines = "\n".join(f"✗ {r}" for r in exc.reasons)
            self._show(_RED, self.tr("扫码核对未通过，不能接种：") + "\n" + lines)
            self.override_row.setVisible(self.may_override)
            grow_to_fit(self, self.result, self.override_row)
            self.edit.clear()
            self.edit.setFocus()
            return
        except EpiError as exc:
            self.refused = True
            self._show(_RED, exc.message)
            self.edit.selectAll()
            self.edit.setFocus()
            return
        self.verdict, self.refused, self.override_reason = v, False, override
        self.override_row.hide()
        facts = " ".join(x for x in (v.batch_no and f"批号 {v.batch_no}", v.expiry and f"效期 {v.expiry}") if x)
        facts = f"{facts} {v.manufacturer or ''}".strip()
        if override:
            text = self.tr("已强制通过（%1）：%2").replace("%1", override).replace("%2", "；".join(v.reasons))
            self._show(_AMBER, text)
        else:
            self._show(_GREEN, self.tr("✓ 扫码核对通过：%1").replace("%1", facts))
        self.passed.emit(v)

    def _show(self, style: str, text: str) -> None:
        self.result.setStyleSheet(style)
        self.result.setText(text)
        self.result.show()
        # a wrapped label inside a form row is not given its height-for-width: ask for it
        self.result.setMinimumHeight(self.result.heightForWidth(max(self.result.width(), self.edit.width(), 300)))
        grow_to_fit(self, self.result)
