"""入库 / 报损 / 盘点 from the 库存一览 screen: small forms over the stock services.

Every rule is the service's (:mod:`epimanager.services.stock.movements`, :mod:`.counts`): the
ledger never goes negative, a count that differs needs a reason, a batch keeps its expiry.
A refusal is shown in the dialog in Chinese, the dialog stays open and nothing is changed.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from epimanager.domain.stock import SUBTYPES, WASTE_SUBTYPES
from epimanager.errors import EpiError
from epimanager.resources import catalog
from epimanager.services.stock import counts, movements
from epimanager.services.stock.overview import StockLine
from epimanager.services.stock.records import MovementRecord
from epimanager.services.stock.syringe_types import SYRINGE_TYPES
from epimanager.store.database import Database
from epimanager.ui.dates import to_date, to_qdate
from epimanager.ui.i18n import QT_TRANSLATE_NOOP

#: The 损耗 kinds of :data:`WASTE_SUBTYPES` (domain labels, saved as codes), listed for translation.
_WASTE_LABELS = (
    QT_TRANSLATE_NOOP("StockDialogs", "破损"),
    QT_TRANSLATE_NOOP("StockDialogs", "过期"),
    QT_TRANSLATE_NOOP("StockDialogs", "冷链故障"),
    QT_TRANSLATE_NOOP("StockDialogs", "开启后废弃"),
    QT_TRANSLATE_NOOP("StockDialogs", "其他损耗"),
)
_MAX_QUANTITY = 1_000_000


def _date_edit(value: date, latest: date) -> QDateEdit:
    w = QDateEdit(to_qdate(value))
    w.setCalendarPopup(True)
    w.setDisplayFormat("yyyy-MM-dd")
    w.setMaximumDate(to_qdate(latest))
    return w


def _spin(value: int, minimum: int) -> QSpinBox:
    w = QSpinBox()
    w.setRange(minimum, _MAX_QUANTITY)
    w.setValue(value)
    return w


def describe(line: StockLine) -> str:
    """“乙肝疫苗 HepB（深圳康泰） 批号 B1，库存 18 人份”."""
    maker = f"（{line.manufacturer}）" if line.manufacturer else ""
    return (
        QCoreApplication.translate("StockDialogs", "%1 %2%3 批号 %4，库存 %5 %6")
        .replace("%1", line.name)
        .replace("%2", line.abbr)
        .replace("%3", maker)
        .replace("%4", line.batch_no)
        .replace("%5", str(line.quantity))
        .replace("%6", line.unit)
    )


class MovementDialog(QDialog):
    """A form, a red line for the service's refusal, 保存 / 取消.  ``record`` holds the saved movement."""

    def __init__(self, db: Database, user: str, today: date, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.db, self.user, self.today = db, user, today
        self.record: MovementRecord | None = None
        self.form = QFormLayout()
        self.error = QLabel("")
        self.error.setStyleSheet("color: #b00020")
        self.error.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        cancel = buttons.button(QDialogButtonBox.StandardButton.Cancel)
        assert ok is not None and cancel is not None
        ok.setText(self.tr("保存(&S)"))
        cancel.setText(self.tr("取消"))
        self.ok_button = ok
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.setMinimumWidth(460)

    def _write(self) -> MovementRecord:
        raise NotImplementedError

    def save(self) -> None:
        """Write through the service; on a refusal show why and stay open."""
        try:
            self.record = self._write()
        except EpiError as exc:
            self.error.setText(exc.message)
            return
        self.accept()


class ReceiveDialog(MovementDialog):
    """入库: a product (vaccine or syringe type), its batch, expiry and quantity; ``like`` fills in a product."""

    def __init__(
        self, db: Database, user: str, today: date, like: StockLine | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(db, user, today, parent)
        self.setWindowTitle(self.tr("入库"))
        self.product = QComboBox()
        for v in catalog().sorted():
            self.product.addItem(f"{v.abbr}  {v.name}", v.code)
        for code, (abbr, name) in SYRINGE_TYPES.items():
            self.product.addItem(f"{abbr}  {name}", code)
        self.manufacturer = QLineEdit()
        self.specification = QLineEdit()
        self.doses_per_vial = _spin(1, 1)
        self.doses_per_vial.setMaximum(100)
        self.batch_no = QLineEdit()
        self.batch_no.setMaxLength(40)
        self.expiry = _date_edit(today.replace(year=today.year + 1), date(9999, 12, 31))
        self.quantity = _spin(0, 0)
        self.supplier = QLineEdit()
        self.document_no = QLineEdit()
        self.on = _date_edit(today, today)
        self.unit_label = QLabel()
        for label, widget in (
            (self.tr("疫苗/注射器(&P)"), self.product),
            (self.tr("生产企业(&M)"), self.manufacturer),
            (self.tr("规格"), self.specification),
            (self.tr("每瓶人份"), self.doses_per_vial),
            (self.tr("批号(&B)"), self.batch_no),
            (self.tr("失效期(&E)"), self.expiry),
            (self.tr("入库数量(&Q)"), self.quantity),
            (self.tr("供货单位"), self.supplier),
            (self.tr("单据号"), self.document_no),
            (self.tr("入库日期"), self.on),
        ):
            self.form.addRow(label, widget)
        self.form.addRow("", self.unit_label)
        self.product.currentIndexChanged.connect(self._product_changed)
        if like is not None:
            self.product.setCurrentIndex(max(0, self.product.findData(like.code)))
            self.manufacturer.setText(like.manufacturer)
            self.specification.setText(like.specification)
            self.doses_per_vial.setValue(like.doses_per_vial)
        self._product_changed()

    def _is_syringe(self) -> bool:
        return str(self.product.currentData()) in SYRINGE_TYPES

    def _product_changed(self) -> None:
        syringe = self._is_syringe()
        self.doses_per_vial.setEnabled(not syringe)
        if syringe:
            self.doses_per_vial.setValue(1)
        self.unit_label.setText(self.tr("数量单位：支") if syringe else self.tr("数量单位：人份"))

    def _write(self) -> MovementRecord:
        return movements.receive(
            self.db,
            vaccine=str(self.product.currentData()),
            batch_no=self.batch_no.text(),
            expiry=to_date(self.expiry.date()),
            quantity=self.quantity.value(),
            manufacturer=self.manufacturer.text(),
            specification=self.specification.text(),
            doses_per_vial=self.doses_per_vial.value(),
            supplier=self.supplier.text(),
            document_no=self.document_no.text(),
            on=to_date(self.on.date()),
            user=self.user,
        )


class WasteDialog(MovementDialog):
    """报损 of the batch on ``line``: kind, quantity, reason."""

    def __init__(self, db: Database, user: str, today: date, line: StockLine, parent: QWidget | None = None) -> None:
        super().__init__(db, user, today, parent)
        self.line = line
        self.setWindowTitle(self.tr("报损"))
        self.kind = QComboBox()
        for code in WASTE_SUBTYPES:
            self.kind.addItem(QCoreApplication.translate("StockDialogs", SUBTYPES[code][1]), code)
        self.quantity = _spin(1, 1)
        self.reason = QLineEdit()
        self.reason.setMaxLength(200)
        self.on = _date_edit(today, today)
        self.form.addRow(self.tr("批次"), QLabel(describe(line)))
        self.form.addRow(self.tr("损耗类型(&K)"), self.kind)
        self.form.addRow(self.tr("报损数量(&Q)（%1）").replace("%1", line.unit), self.quantity)
        self.form.addRow(self.tr("原因(&R)"), self.reason)
        self.form.addRow(self.tr("日期"), self.on)

    def _write(self) -> MovementRecord:
        ln = self.line
        return movements.waste(
            self.db,
            vaccine=ln.code,
            batch_no=ln.batch_no,
            manufacturer=ln.manufacturer,
            specification=ln.specification,
            quantity=self.quantity.value(),
            subtype=str(self.kind.currentData()),
            reason=self.reason.text(),
            on=to_date(self.on.date()),
            user=self.user,
        )


class CountDialog(MovementDialog):
    """盘点 of the batch on ``line``: what it really holds (a difference needs a reason)."""

    def __init__(self, db: Database, user: str, today: date, line: StockLine, parent: QWidget | None = None) -> None:
        super().__init__(db, user, today, parent)
        self.line = line
        self.setWindowTitle(self.tr("盘点"))
        self.counted = _spin(line.quantity, 0)
        self.reason = QLineEdit()
        self.reason.setMaxLength(200)
        self.on = _date_edit(today, today)
        self.form.addRow(self.tr("批次"), QLabel(describe(line)))
        self.form.addRow(self.tr("实盘数量(&Q)（%1）").replace("%1", line.unit), self.counted)
        self.form.addRow(self.tr("差异原因(&R)"), self.reason)
        self.form.addRow(self.tr("盘点日期"), self.on)

    def _write(self) -> MovementRecord:
        ln = self.line
        return counts.count(
            self.db,
            vaccine=ln.code,
            batch_no=ln.batch_no,
            manufacturer=ln.manufacturer,
            specification=ln.specification,
            counted=self.counted.value(),
            reason=self.reason.text(),
            on=to_date(self.on.date()),
            user=self.user,
        )
