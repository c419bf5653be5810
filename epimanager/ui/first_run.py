"""First run: ask for the own unit and create the database."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QWidget

from epimanager.errors import EpiError
from epimanager.services.units import init_database
from epimanager.ui.grow import MIN_DIALOG_WIDTH, fit_placeholder, set_message


class FirstRunDialog(QDialog):
    """Create the database for a unit (10-digit code + name)."""

    def __init__(self, db_path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db_path = db_path
        self.setWindowTitle(self.tr("首次使用：设置接种单位"))
        self.setMinimumWidth(MIN_DIALOG_WIDTH)
        form = QFormLayout(self)
        where = QLabel(self.tr("数据库位置：%1").replace("%1", str(db_path)))
        where.setWordWrap(True)
        form.addRow(where)
        self.code = QLineEdit()
        self.code.setPlaceholderText(self.tr("10位单位编码，如 3201020101"))
        self.code.setMaxLength(10)
        self.name = QLineEdit()
        self.name.setPlaceholderText(self.tr("单位名称，如 某某社区卫生服务中心预防接种门诊"))
        fit_placeholder(self.code, self.name)
        form.addRow(self.tr("单位编码(&C)："), self.code)
        form.addRow(self.tr("单位名称(&N)："), self.name)
        self.error = QLabel()
        self.error.setStyleSheet("color: #b00020")
        self.error.setWordWrap(True)
        form.addRow(self.error)
        std = QDialogButtonBox.StandardButton
        buttons = QDialogButtonBox(std.Ok | std.Cancel)
        self.ok_button = buttons.button(std.Ok)
        self.ok_button.setText(self.tr("创建数据库"))
        buttons.button(std.Cancel).setText(self.tr("取消"))
        buttons.accepted.connect(self._create)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _create(self) -> None:
        try:
            init_database(self.db_path, self.code.text().strip(), self.name.text().strip())
        except EpiError as exc:
            set_message(self.error, exc.message)
            return
        self.accept()
