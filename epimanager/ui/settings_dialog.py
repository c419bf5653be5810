"""设置: general options, the panel's and the grid's fields, shortcuts (generated from the registry)."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QKeySequenceEdit,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from epimanager.settings import CHILD_FIELDS, GRID_FIELDS, Language, PlaceDisplay, Settings
from epimanager.ui.actions import SPECS, ActionId, ActionRegistry, ActionSpec, normalized, plain, translated
from epimanager.ui.child.fields import FIELD_BY_KEY
from epimanager.ui.i18n import QT_TRANSLATE_NOOP

GRID_FIELD_TITLES = {
    "status": QT_TRANSLATE_NOOP("Settings", "接种状态（应种/超期/未到期/已完成）"),
    "next_dose": QT_TRANSLATE_NOOP("Settings", "下一剂"),
    "earliest": QT_TRANSLATE_NOOP("Settings", "最早接种日期"),
    "place": QT_TRANSLATE_NOOP("Settings", "接种地点"),
    "evaluation": QT_TRANSLATE_NOOP("Settings", "接种评价（及时/合格/超期…）"),
    "batch": QT_TRANSLATE_NOOP("Settings", "批号"),
    "manufacturer": QT_TRANSLATE_NOOP("Settings", "生产企业"),
    "nurse": QT_TRANSLATE_NOOP("Settings", "接种护士"),
}
PLACE_TITLES = {
    PlaceDisplay.OTHER: QT_TRANSLATE_NOOP("Settings", "外地（只标出外地接种）"),
    PlaceDisplay.NAME: QT_TRANSLATE_NOOP("Settings", "名称（接种单位名称）"),
    PlaceDisplay.CODE: QT_TRANSLATE_NOOP("Settings", "编码（接种单位编码）"),
}
LANGUAGE_TITLES = {Language.ZH_CN: "简体中文", Language.EN: "English"}


def _t(text: str) -> str:
    return QCoreApplication.translate("Settings", text)


class OrderedChecklist(QWidget):
    """Checkable items that can be moved up and down (Alt+↑ / Alt+↓ or the buttons)."""

    def __init__(self, items: list[tuple[str, str]], chosen: tuple[str, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        titles = dict(items)
        order = list(chosen) + [k for k, _ in items if k not in chosen]
        for key in order:
            it = QListWidgetItem(titles[key])
            it.setData(Qt.ItemDataRole.UserRole, key)
            it.setFlags(it.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            it.setCheckState(Qt.CheckState.Checked if key in chosen else Qt.CheckState.Unchecked)
            self.list.addItem(it)
        self.up = QPushButton(self.tr("上移(&U)"))
        self.down = QPushButton(self.tr("下移(&W)"))
        self.up.clicked.connect(lambda: self.move_item(-1))
        self.down.clicked.connect(lambda: self.move_item(1))
        buttons = QVBoxLayout()
        buttons.addWidget(self.up)
        buttons.addWidget(self.down)
        buttons.addStretch(1)
        layout = QHBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self.list.setCurrentRow(0)

    def move_item(self, step: int) -> None:
        row = self.list.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < self.list.count():
            return
        it = self.list.takeItem(row)
        self.list.insertItem(target, it)
        self.list.setCurrentRow(target)

    def chosen(self) -> tuple[str, ...]:
        out = []
        for i in range(self.list.count()):
            it = self.list.item(i)
            if it.checkState() == Qt.CheckState.Checked:
                out.append(str(it.data(Qt.ItemDataRole.UserRole)))
        return tuple(out)


class ShortcutEditor(QWidget):
    """The registry's actions with their keys; a key used by another action is refused."""

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.keys = ActionRegistry.effective_keys(settings)
        self.table = QTableWidget(len(SPECS), 3)
        self.table.setHorizontalHeaderLabels([self.tr("功能"), self.tr("快捷键"), self.tr("默认")])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for r, spec in enumerate(SPECS):
            self.table.setItem(r, 0, QTableWidgetItem(plain(translated(spec.text))))
            self.table.setItem(r, 2, QTableWidgetItem(_native(normalized(spec.default_key))))
        self._refresh()
        self.edit = QKeySequenceEdit()
        self.edit.setObjectName("keyEdit")
        self.edit.setMaximumSequenceLength(1)
        self.assign = QPushButton(self.tr("设为此键(&A)"))
        self.reset = QPushButton(self.tr("恢复默认(&R)"))
        self.clear = QPushButton(self.tr("不用快捷键(&C)"))
        self.message = QLabel()
        self.message.setObjectName("shortcutMessage")
        self.message.setWordWrap(True)
        self.assign.clicked.connect(
            lambda: self.set_key(self.current(), normalized(self.edit.keySequence().toString()))
        )
        self.reset.clicked.connect(lambda: self.set_key(self.current(), normalized(_spec(self.current()).default_key)))
        self.clear.clicked.connect(lambda: self.set_key(self.current(), ""))
        row = QHBoxLayout()
        label = QLabel(self.tr("新快捷键(&K)："))
        label.setBuddy(self.edit)
        row.addWidget(label)
        row.addWidget(self.edit, 1)
        row.addWidget(self.assign)
        row.addWidget(self.reset)
        row.addWidget(self.clear)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        layout.addWidget(self.message)
        self.table.selectRow(0)

    def current(self) -> ActionId:
        return SPECS[max(self.table.currentRow(), 0)].id

    def select(self, action_id: ActionId) -> None:
        self.table.selectRow(next(i for i, s in enumerate(SPECS) if s.id == action_id))

    def _refresh(self) -> None:
        for r, spec in enumerate(SPECS):
            self.table.setItem(r, 1, QTableWidgetItem(_native(self.keys[spec.id])))

    def set_key(self, action_id: ActionId, key: str) -> bool:
        """Bind ``key`` (portable text, "" = none); refuse a key another action uses."""
        other = ActionRegistry.conflict(self.keys, action_id, key)
        if other is not None:
            self.message.setText(
                self.tr("✗ %1 已用于“%2”，请换一个键。")
                .replace("%1", _native(key))
                .replace("%2", plain(translated(_spec(other).text)))
            )
            self.message.setStyleSheet("color: #b00020")
            return False
        self.keys[action_id] = key
        self._refresh()
        self.message.setText(
            self.tr("“%1”的快捷键：%2")
            .replace("%1", plain(translated(_spec(action_id).text)))
            .replace("%2", _native(key) or self.tr("无"))
        )
        self.message.setStyleSheet("")
        return True

    def apply_to(self, settings: Settings) -> Settings:
        out = replace(settings, shortcuts={})
        for spec in SPECS:
            out = out.with_shortcut(spec.id.value, self.keys[spec.id], normalized(spec.default_key))
        return out


def _spec(action_id: ActionId) -> ActionSpec:
    return next(s for s in SPECS if s.id == action_id)


def _native(key: str) -> str:
    return QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText) if key else ""


class SettingsDialog(QDialog):
    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.setWindowTitle(self.tr("设置"))
        self.resize(640, 520)
        self.tabs = QTabWidget()

        general = QWidget()
        form = QFormLayout(general)
        self.nurse = QLineEdit(settings.nurse)
        self.nurse.setPlaceholderText(self.tr("留空：使用登录用户的姓名"))
        self.language = QComboBox()
        for lang, title in LANGUAGE_TITLES.items():
            self.language.addItem(title, lang.value)
        self.language.setCurrentIndex(self.language.findData(settings.language.value))
        self.place = QComboBox()
        for p, title in PLACE_TITLES.items():
            self.place.addItem(_t(title), p.value)
        self.place.setCurrentIndex(self.place.findData(settings.place_display.value))
        self.hints = QCheckBox(self.tr("是否显示快捷键提示(&H)"))
        self.hints.setChecked(settings.show_shortcut_hints)
        form.addRow(self.tr("接种护士(&N)："), self.nurse)
        form.addRow(self.tr("界面语言(&L)："), self.language)
        form.addRow(self.tr("接种地点显示(&P)："), self.place)
        form.addRow(self.hints)
        form.addRow(QLabel(self.tr("界面语言更改后，重新打开窗口后全部生效。")))
        self.tabs.addTab(general, self.tr("常规(&G)"))

        self.panel_fields = OrderedChecklist(
            [(k, FIELD_BY_KEY[k].title()) for k in CHILD_FIELDS], settings.panel_fields
        )
        self.tabs.addTab(self.panel_fields, self.tr("左面基本资料字段(&B)"))
        self.grid_fields = OrderedChecklist([(k, _t(GRID_FIELD_TITLES[k])) for k in GRID_FIELDS], settings.grid_fields)
        self.tabs.addTab(self.grid_fields, self.tr("接种登记显示字段(&V)"))
        self.shortcuts = ShortcutEditor(settings)
        self.tabs.addTab(self.shortcuts, self.tr("快捷键(&K)"))

        std = QDialogButtonBox.StandardButton
        buttons = QDialogButtonBox(std.Ok | std.Cancel)
        buttons.button(std.Ok).setText(self.tr("确定"))
        buttons.button(std.Cancel).setText(self.tr("取消"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(buttons)

    def result_settings(self) -> Settings:
        s = replace(
            self.settings,
            nurse=self.nurse.text().strip(),
            language=Language(self.language.currentData()),
            place_display=PlaceDisplay(self.place.currentData()),
            show_shortcut_hints=self.hints.isChecked(),
            panel_fields=self.panel_fields.chosen() or self.settings.panel_fields,
            grid_fields=self.grid_fields.chosen(),
        )
        return self.shortcuts.apply_to(s)
