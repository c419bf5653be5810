"""The left 基本资料 panel: the current child's basic data; double-click a value to edit it.

Which fields appear, and in what order, is the user's choice
(:attr:`Settings.panel_fields`).  A saved edit goes through
:func:`~epimanager.services.children.update_child`, which validates it with
the domain rules and writes an audit record (old value, new value, user, time).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QHeaderView,
    QLabel,
    QLineEdit,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from epimanager.errors import EpiError
from epimanager.services.records import ChildRecord
from epimanager.ui import notify
from epimanager.ui.child.fields import CHOICES, FIELD_BY_KEY, Editor, FieldDef, parse_text, raw_value
from epimanager.ui.code_labels import tr_code
from epimanager.ui.dates import to_date, to_qdate

_Index = QModelIndex | QPersistentModelIndex
#: (field key, new value) → error message or None when saved
SaveFn = Callable[[str, object], str | None]


class ChildInfoModel(QAbstractTableModel):
    """Two columns: field label, value.  Only the value of an editable field is editable."""

    def __init__(self, save: SaveFn) -> None:
        super().__init__()
        self._save = save
        self._fields: list[FieldDef] = []
        self.child: ChildRecord | None = None

    def set_fields(self, keys: tuple[str, ...]) -> None:
        self.beginResetModel()
        self._fields = [FIELD_BY_KEY[k] for k in keys if k in FIELD_BY_KEY]
        self.endResetModel()

    def set_child(self, child: ChildRecord | None) -> None:
        same = child is not None and self.child is not None and child.code == self.child.code
        if same and self._fields:
            # the same child saved again (often from inside setData while its editor commits):
            # new values, same rows.  A reset here would pull the editor from under the view.
            self.child = child
            self.dataChanged.emit(self.index(0, 1), self.index(len(self._fields) - 1, 1))
            return
        self.beginResetModel()
        self.child = child
        self.endResetModel()

    def field_at(self, row: int) -> FieldDef:
        return self._fields[row]

    def row_of(self, key: str) -> int:
        return next(i for i, f in enumerate(self._fields) if f.key == key)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._fields)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 2

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == 1 and self.child is not None and self._fields[index.row()].editable:
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        f = self._fields[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            if index.column() == 0:
                return f.title()
            return f.display(self.child) if self.child is not None else ""
        if role == Qt.ItemDataRole.EditRole and index.column() == 1 and self.child is not None:
            return raw_value(self.child, f.key)
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 0:
            return QColor("#555555")
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 1 and f.editable:
            return self.tr("双击修改")
        return None

    def setData(self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid() or self.child is None:
            return False
        f = self._fields[index.row()]
        if value == raw_value(self.child, f.key):
            return False
        error = self._save(f.key, value)
        if error is not None:
            return False
        self.dataChanged.emit(index, index)
        return True


class _Delegate(QStyledItemDelegate):
    """Editors by field kind: combo boxes for coded values, a date editor, else a line edit."""

    def __init__(
        self, model: ChildInfoModel, committees: Callable[[], tuple[str, ...]], report: Callable[[str], None]
    ) -> None:
        super().__init__()
        self._model = model
        self._committees = committees
        self._report = report

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: _Index) -> QWidget:
        f = self._model.field_at(index.row())
        if f.editor is Editor.DATE:
            ed = QDateEdit(parent)
            ed.setDisplayFormat("yyyy-MM-dd")
            ed.setCalendarPopup(True)
            return ed
        if f.editor in CHOICES or f.editor is Editor.COMMITTEE:
            combo = QComboBox(parent)
            if f.editor is Editor.COMMITTEE:
                combo.addItem("", None)
                for name in self._committees():
                    combo.addItem(name, name)
            else:
                for value, label in CHOICES[f.editor]:
                    combo.addItem(tr_code(label), value)
            return combo
        return QLineEdit(parent)

    def setEditorData(self, editor: QWidget, index: _Index) -> None:
        value = index.data(Qt.ItemDataRole.EditRole)
        if isinstance(editor, QDateEdit) and isinstance(value, date):
            editor.setDate(to_qdate(value))
        elif isinstance(editor, QComboBox):
            i = editor.findData(value)
            editor.setCurrentIndex(max(i, 0))
        elif isinstance(editor, QLineEdit):
            editor.setText("" if value is None else str(value) if not isinstance(value, float) else f"{value:g}")
            editor.selectAll()

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: _Index) -> None:
        key = self._model.field_at(index.row()).key
        if isinstance(editor, QDateEdit):
            q = editor.date()
            value: object = to_date(q)
        elif isinstance(editor, QComboBox):
            value = editor.currentData()
        else:
            assert isinstance(editor, QLineEdit)
            try:
                value = parse_text(key, editor.text())
            except ValueError as exc:
                self._report(str(exc))
                return
        model.setData(index, value, Qt.ItemDataRole.EditRole)


class _FieldView(QTableView):
    """Enter starts editing the current value (F2 belongs to 新建儿童)."""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        index = self.currentIndex().siblingAtColumn(1)
        if (
            event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and self.state() != QAbstractItemView.State.EditingState
            and index.isValid()
            and index.flags() & Qt.ItemFlag.ItemIsEditable
        ):
            self.setCurrentIndex(index)
            self.edit(index)
            return
        super().keyPressEvent(event)


class ChildPanel(QWidget):
    """基本资料 dock content."""

    def __init__(
        self,
        save: Callable[[str, dict[str, object]], ChildRecord],
        committees: Callable[[], tuple[str, ...]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._save_fn = save
        self.last_error: str | None = None
        self.model = ChildInfoModel(self._save)
        self.view = _FieldView()
        self.view.setObjectName("childPanel")
        self.view.setModel(self.model)
        self.view.setItemDelegate(_Delegate(self.model, committees, self._report))
        self.view.horizontalHeader().hide()
        self.view.verticalHeader().hide()
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        self.view.setWordWrap(False)
        self.view.setAlternatingRowColors(True)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.view.doubleClicked.connect(self._double_clicked)
        self.hint = QLabel(self.tr("双击或按回车修改字段"))
        self.hint.setObjectName("hint")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.hint)

    def set_fields(self, keys: tuple[str, ...]) -> None:
        self.model.set_fields(keys)
        self.view.resizeRowsToContents()

    def set_child(self, child: ChildRecord | None) -> None:
        self.model.set_child(child)
        self.view.resizeRowsToContents()

    def _double_clicked(self, index: QModelIndex) -> None:
        # a double-click on the label column edits the value next to it
        if index.column() == 0 and self.model.flags(index.siblingAtColumn(1)) & Qt.ItemFlag.ItemIsEditable:
            self.view.edit(index.siblingAtColumn(1))

    def _report(self, message: str) -> None:
        self.last_error = message
        notify.warning(self, self.tr("不能保存"), message)

    def _save(self, key: str, value: object) -> str | None:
        child = self.model.child
        assert child is not None
        try:
            updated = self._save_fn(child.code, {key: value})
        except EpiError as exc:
            self._report(exc.message)
            return exc.message
        self.last_error = None
        self.model.child = updated
        return None

    def edit_field(self, key: str) -> None:
        """Start editing ``key`` (as a double-click would)."""
        index = self.model.index(self.model.row_of(key), 1)
        self.view.setCurrentIndex(index)
        self.view.edit(index)
