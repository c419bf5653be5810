"""配置工具: the unit (picked from the yearly unit-code list), 区域划分, folders, platform account.

``ConfigDialog(db, parent=None)`` works on an open database.  Taking over an earlier
installation replaces the database file, so the dialog only offers the folders it found and
emits :attr:`ConfigDialog.takeover_requested` (path); the caller closes its database, calls
:func:`epimanager.services.config.takeover.takeover` and reopens.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from epimanager.errors import EpiError
from epimanager.services.config import folders, platform, record, takeover, unit, unit_codes
from epimanager.services.units import add_committee
from epimanager.store.database import Database
from epimanager.ui.fixes import worded
from epimanager.ui.grow import set_message


class ConfigDialog(QDialog):
    """``ConfigDialog(db: Database, parent=None)`` — 接种点客户端配置工具."""

    takeover_requested = Signal(str)
    data_dir_moved = Signal(str)

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.setWindowTitle(self.tr("配置工具"))
        self.resize(720, 640)
        rec = record.show_config(db)
        outer = QVBoxLayout(self)

        # ---- unit
        unit_box = QGroupBox(self.tr("接种单位"))
        ul = QVBoxLayout(unit_box)
        row = QHBoxLayout()
        self.year_box = QComboBox()
        for year in unit_codes.unit_code_years():
            self.year_box.addItem(self.tr("%1 年编码表").replace("%1", str(year)), year)
        self.unit_search = QLineEdit()
        self.unit_search.setPlaceholderText(self.tr("输入编码开头、单位名称或县区查找"))
        row.addWidget(self.year_box)
        row.addWidget(self.unit_search, 1)
        ul.addLayout(row)
        self.unit_list = QListWidget()
        self.unit_list.setMaximumHeight(150)
        ul.addWidget(self.unit_list)
        form = QFormLayout()
        self.unit_code = QLineEdit(rec.unit_code or "")
        self.unit_code.setMaxLength(10)
        self.unit_name = QLineEdit(rec.unit_name or "")
        self.allow_unlisted = QCheckBox(self.tr("允许编码表中没有的编码（请先与县级疾控核对）"))
        form.addRow(self.tr("单位编码(&C)："), self.unit_code)
        form.addRow(self.tr("单位名称(&N)："), self.unit_name)
        form.addRow(self.allow_unlisted)
        ul.addLayout(form)
        outer.addWidget(unit_box)
        self.unit_search.textChanged.connect(self._refresh_units)
        self.year_box.currentIndexChanged.connect(self._refresh_units)
        self.unit_list.currentItemChanged.connect(self._unit_picked)

        # ---- 区域划分
        com_box = QGroupBox(self.tr("区域划分"))
        cl = QHBoxLayout(com_box)
        self.committees = QListWidget()
        self.committees.setMaximumHeight(140)
        cl.addWidget(self.committees, 1)
        side = QVBoxLayout()
        self.committee_name = QLineEdit()
        self.committee_name.setPlaceholderText(self.tr("名称"))
        self.add_committee_button = QPushButton(self.tr("添加"))
        self.rename_committee_button = QPushButton(self.tr("改名为上面的名称"))
        self.toggle_committee_button = QPushButton(self.tr("停用/启用"))
        for w in (self.committee_name, self.add_committee_button, self.rename_committee_button):
            side.addWidget(w)
        side.addWidget(self.toggle_committee_button)
        side.addStretch(1)
        cl.addLayout(side)
        outer.addWidget(com_box)
        self.add_committee_button.clicked.connect(self._add_committee)
        self.rename_committee_button.clicked.connect(self._rename_committee)
        self.toggle_committee_button.clicked.connect(self._toggle_committee)

        # ---- folders and platform
        more = QGroupBox(self.tr("文件夹与平台"))
        ml = QFormLayout(more)
        data_row = QHBoxLayout()
        self.data_dir = QLineEdit(rec.data_dir)
        self.data_dir.setReadOnly(True)
        self.move_data_button = QPushButton(self.tr("更改…"))
        self.move_data_button.clicked.connect(self._choose_data_dir)
        data_row.addWidget(self.data_dir, 1)
        data_row.addWidget(self.move_data_button)
        ml.addRow(self.tr("数据文件夹："), data_row)
        server_row = QHBoxLayout()
        self.server_address = QLineEdit(str(self.db.server) if self.db.server else "")
        self.server_address.setObjectName("serverAddress")
        self.server_address.setPlaceholderText(self.tr("postgresql://用户:密码@服务器:5432/epimanager（留空：单机版）"))
        self.server_button = QPushButton(self.tr("连接并使用(&S)"))
        self.server_button.clicked.connect(lambda: self.use_server(self.server_address.text()))
        server_row.addWidget(self.server_address, 1)
        server_row.addWidget(self.server_button)
        ml.addRow(self.tr("数据库服务器："), server_row)
        if self.db.server is None:
            self.move_data_button.setEnabled(True)
        else:
            self.move_data_button.setEnabled(False)  # the data lives on the server
        backup_row = QHBoxLayout()
        self.backup_dir = QLineEdit(rec.backup_dir)
        browse = QPushButton(self.tr("浏览…"))
        browse.clicked.connect(self._choose_backup_dir)
        backup_row.addWidget(self.backup_dir, 1)
        backup_row.addWidget(browse)
        ml.addRow(self.tr("备份文件夹(&B)："), backup_row)
        self.platform_url = QLineEdit(rec.platform_url or "")
        self.platform_url.setPlaceholderText(self.tr("https://平台地址"))
        self.platform_user = QLineEdit(rec.platform_user or "")
        self.platform_token = QLineEdit()
        self.platform_token.setEchoMode(QLineEdit.EchoMode.Password)
        self.platform_token.setPlaceholderText(
            self.tr("已设置，留空则不修改") if rec.platform_token else self.tr("令牌/密码")
        )
        ml.addRow(self.tr("平台地址(&U)："), self.platform_url)
        ml.addRow(self.tr("平台用户："), self.platform_user)
        ml.addRow(self.tr("令牌/密码："), self.platform_token)
        take_row = QHBoxLayout()
        self.previous = QComboBox()
        for item in takeover.detect_previous_installs(db.path):
            self.previous.addItem(item.describe(), str(item.db_path))
        self.takeover_button = QPushButton(self.tr("接管旧数据…"))
        self.takeover_button.setEnabled(self.previous.count() > 0)
        self.takeover_button.clicked.connect(self._takeover)
        take_row.addWidget(self.previous, 1)
        take_row.addWidget(self.takeover_button)
        ml.addRow(self.tr("旧安装的数据："), take_row)
        outer.addWidget(more)

        self.error = QLabel()
        self.error.setStyleSheet("color: #b00020")
        self.error.setWordWrap(True)
        outer.addWidget(self.error)
        std = QDialogButtonBox.StandardButton
        buttons = QDialogButtonBox(std.Save | std.Cancel)
        self.save_button = buttons.button(std.Save)
        self.save_button.setText(self.tr("保存"))
        buttons.button(std.Cancel).setText(self.tr("取消"))
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        outer.addWidget(buttons)
        self._refresh_units()
        self._refresh_committees()

    # ---- unit list
    def _refresh_units(self) -> None:
        self.unit_list.clear()
        year = self.year_box.currentData()
        try:
            hits = unit_codes.search_unit_codes(self.unit_search.text(), year)
        except EpiError as exc:
            set_message(self.error, worded(exc))
            return
        for e in hits:
            item = QListWidgetItem(f"{e.code}  {e.name}  {e.county}")
            item.setData(Qt.ItemDataRole.UserRole, (e.code, e.name))
            self.unit_list.addItem(item)

    def _unit_picked(self, item: QListWidgetItem | None, _prev: QListWidgetItem | None = None) -> None:
        if item is None:
            return
        code, name = item.data(Qt.ItemDataRole.UserRole)
        self.unit_code.setText(code)
        self.unit_name.setText(name)

    # ---- committees
    def _refresh_committees(self) -> None:
        self.committees.clear()
        try:
            rows = unit.list_committees(self.db)
        except EpiError:
            rows = []
        for r in rows:
            item = QListWidgetItem(r.name if r.active else self.tr("%1（已停用）").replace("%1", r.name))
            item.setData(Qt.ItemDataRole.UserRole, r.name)
            self.committees.addItem(item)

    def _selected_committee(self) -> str | None:
        item = self.committees.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def _guard(self, fn: Callable[[], object]) -> bool:
        try:
            fn()
        except EpiError as exc:
            set_message(self.error, worded(exc))
            return False
        self.error.clear()
        self._refresh_committees()
        return True

    def _add_committee(self) -> None:
        if self._guard(lambda: add_committee(self.db, self.committee_name.text())):
            self.committee_name.clear()

    def _rename_committee(self) -> None:
        old = self._selected_committee()
        if old is None:
            self.error.setText(self.tr("请先在列表中选择要改名的区域划分"))
            return
        if self._guard(lambda: unit.rename_committee(self.db, old, self.committee_name.text())):
            self.committee_name.clear()

    def _toggle_committee(self) -> None:
        name = self._selected_committee()
        if name is None:
            self.error.setText(self.tr("请先在列表中选择区域划分"))
            return
        active = next((r.active for r in unit.list_committees(self.db) if r.name == name), True)
        self._guard(lambda: unit.set_committee_active(self.db, name, not active))

    # ---- folders
    def _choose_backup_dir(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("选择备份文件夹"), self.backup_dir.text())
        if folder:
            self.backup_dir.setText(folder)

    def _choose_data_dir(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("选择新的数据文件夹"))
        if folder:
            self.move_data_dir_to(Path(folder))

    def use_server(self, address: str) -> bool:
        """Make this PC a desk of the clinic server at ``address`` (empty: standalone), from the next start."""
        if self.db.server is not None and "***" in address:
            address = self.db.server.url  # the shown address hides the password: keep the current one
        try:
            location = folders.use_server(address)
        except EpiError as exc:
            self.error.setText(exc.message)
            return False
        self.error.setText(self.tr("已设置数据库：%1；重新启动 EpiManager 后生效。").replace("%1", str(location)))
        return True

    def move_data_dir_to(self, folder: Path) -> bool:
        try:
            target = folders.move_data_dir(self.db.path, folder)
        except EpiError as exc:
            set_message(self.error, worded(exc))
            return False
        self.error.setText(
            self.tr("数据库已复制到 %1；重新启动 EpiManager 后使用新文件夹，旧文件夹保持不变。").replace(
                "%1", str(target)
            )
        )
        self.data_dir_moved.emit(str(target))
        return True

    def _takeover(self) -> None:
        path = self.previous.currentData()
        if path:
            self.takeover_requested.emit(str(path))

    # ---- save
    def save(self) -> None:
        try:
            code = self.unit_code.text().strip()
            current = record.show_config(self.db)
            if code != (current.unit_code or "") or self.unit_name.text().strip() != (current.unit_name or ""):
                unit.set_unit(
                    self.db,
                    code,
                    self.unit_name.text().strip() or None,
                    allow_unlisted=self.allow_unlisted.isChecked(),
                    year=self.year_box.currentData(),
                )
            if self.backup_dir.text().strip() and self.backup_dir.text().strip() != current.backup_dir:
                folders.set_backup_dir(self.db, Path(self.backup_dir.text().strip()))
            token = self.platform_token.text()
            platform.set_platform(
                self.db,
                url=self.platform_url.text(),
                user=self.platform_user.text(),
                token=token if token else None,
            )
        except EpiError as exc:
            set_message(self.error, worded(exc))
            return
        self.accept()
