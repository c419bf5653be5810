"""数据清理: probable duplicate children (merge, undo a merge) and the data-quality report.

Searching and checking run off the UI thread (they read every child); a merge
or an undo is one service call (业务管理员 or above — a refusal is shown here
and changes nothing).  Double-clicking a child code opens the child.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from epimanager.domain.registry import QUALITY_KINDS
from epimanager.errors import EpiError
from epimanager.services.cleaning import duplicates, merge, quality
from epimanager.store.database import Database
from epimanager.ui.login_dialog import error_label, say
from epimanager.ui.tables import fill, read_only_table
from epimanager.ui.worker import Latest


def _brief(b: duplicates.ChildBrief) -> tuple[str, ...]:
    return (b.code, b.name, b.birth_date.isoformat(), b.mother_name or "", str(b.doses))


class CleaningScreen(QWidget):
    open_child = Signal(str)

    def __init__(self, db: Database, user: str | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.user = user
        self.pairs: list[duplicates.DuplicatePair] = []
        self.merges: list[merge.MergeInfo] = []
        self.issues: list[quality.QualityIssue] = []
        self.today: Callable[[], date] = date.today  # 满18周岁 is judged on this day
        self.setWindowTitle(self.tr("数据清理"))
        tabs = QTabWidget()
        tabs.addTab(self._duplicates_tab(), self.tr("疑似重复个案"))
        tabs.addTab(self._quality_tab(), self.tr("数据质量"))
        self.tabs = tabs
        layout = QVBoxLayout(self)
        layout.addWidget(tabs)
        self.message = error_label()
        layout.addWidget(self.message)
        self._find_job = Latest(self)
        self._check_job = Latest(self)
        self._reload_merges()

    # -- layout -------------------------------------------------------------------------

    def _duplicates_tab(self) -> QWidget:
        page = QWidget()
        v = QVBoxLayout(page)
        row = QHBoxLayout()
        self.find_button = QPushButton(self.tr("查找疑似重复(&F)"))
        self.find_button.clicked.connect(self.find_duplicates)
        self.pairs_label = QLabel()
        row.addWidget(self.find_button)
        row.addWidget(self.pairs_label, 1)
        v.addLayout(row)
        keep, dup = self.tr("保留"), self.tr("并入")
        cols = [self.tr("儿童编码"), self.tr("姓名"), self.tr("出生日期"), self.tr("母亲"), self.tr("剂次")]
        self.pairs_table = read_only_table(
            [self.tr("相似度"), *(f"{keep}·{c}" for c in cols), *(f"{dup}·{c}" for c in cols), self.tr("原因")]
        )
        self.pairs_table.cellDoubleClicked.connect(self._open_pair_child)
        v.addWidget(self.pairs_table, 3)
        row = QHBoxLayout()
        self.merge_button = QPushButton(self.tr("合并所选（并入“保留”个案）(&M)"))
        self.swap_button = QPushButton(self.tr("对调保留与并入(&S)"))
        self.merge_button.clicked.connect(self.merge)
        self.swap_button.clicked.connect(self.swap)
        row.addWidget(self.merge_button)
        row.addWidget(self.swap_button)
        row.addStretch(1)
        v.addLayout(row)
        v.addWidget(QLabel(self.tr("最近的合并：")))
        self.merges_table = read_only_table(
            [self.tr("时间"), self.tr("保留个案"), self.tr("并入个案"), self.tr("操作员"), self.tr("已撤销")]
        )
        v.addWidget(self.merges_table, 2)
        self.undo_button = QPushButton(self.tr("撤销所选合并(&U)"))
        self.undo_button.clicked.connect(self.undo)
        row = QHBoxLayout()
        row.addWidget(self.undo_button)
        row.addStretch(1)
        v.addLayout(row)
        return page

    def _quality_tab(self) -> QWidget:
        page = QWidget()
        v = QVBoxLayout(page)
        row = QHBoxLayout()
        self.check_button = QPushButton(self.tr("检查数据质量(&C)"))
        self.check_button.clicked.connect(self.check)
        self.counts_label = QLabel()
        self.counts_label.setWordWrap(True)
        row.addWidget(self.check_button)
        row.addWidget(self.counts_label, 1)
        v.addLayout(row)
        self.issues_table = read_only_table([self.tr("问题"), self.tr("儿童编码"), self.tr("姓名"), self.tr("详情")])
        self.issues_table.cellDoubleClicked.connect(lambda r, _c: self.open_child.emit(self.issues[r].child_code))
        v.addWidget(self.issues_table, 2)
        # national supervision's traceability counts, by month and vaccine
        self.trace_table = read_only_table(
            [self.tr("月份"), self.tr("疫苗"), self.tr("本单位接种"), self.tr("无追溯码"), self.tr("追溯码超量使用")]
        )
        self.trace_table.setObjectName("traceTable")
        v.addWidget(self.trace_table, 1)
        return page

    # -- duplicates ---------------------------------------------------------------------

    def find_duplicates(self) -> None:
        self.find_button.setEnabled(False)
        self.pairs_label.setText(self.tr("正在查找…"))
        db = self.db
        self._find_job.run(lambda: duplicates.find_duplicates(db), on_done=self._found, on_error=self._failed)

    def _found(self, pairs: list[duplicates.DuplicatePair]) -> None:
        self.find_button.setEnabled(True)
        self.pairs = list(pairs)
        self._show_pairs()

    def _show_pairs(self) -> None:
        self.pairs_label.setText(self.tr("疑似重复 %1 对").replace("%1", str(len(self.pairs))))
        fill(self.pairs_table, [(str(p.score), *_brief(p.keep), *_brief(p.dup), p.reason) for p in self.pairs])
        if self.pairs:
            self.pairs_table.selectRow(0)

    def _selected_pair(self) -> int | None:
        rows = self.pairs_table.selectionModel().selectedRows()
        return rows[0].row() if rows and self.pairs else None

    def _open_pair_child(self, row: int, column: int) -> None:
        p = self.pairs[row]
        self.open_child.emit(p.dup.code if 6 <= column <= 10 else p.keep.code)

    def swap(self) -> None:
        i = self._selected_pair()
        if i is None:
            return
        p = self.pairs[i]
        self.pairs[i] = duplicates.DuplicatePair(p.score, p.reason, p.dup, p.keep)
        self._show_pairs()
        self.pairs_table.selectRow(i)

    def merge(self) -> None:
        i = self._selected_pair()
        if i is None:
            self._say(self.tr("请先选择一对疑似重复个案"))
            return
        p = self.pairs[i]
        question = self.tr("把 %1（%2）并入 %3（%4）？剂次与变更记录将移到保留个案，并入个案标记为删除；可以撤销。")
        for n, value in enumerate((p.dup.name, p.dup.code, p.keep.name, p.keep.code), start=1):
            question = question.replace(f"%{n}", value)
        answer = QMessageBox.question(self, self.tr("合并个案"), question)
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            result = merge.merge_children(self.db, p.keep.code, p.dup.code, user=self.user)
        except EpiError as exc:
            self._say(exc.message)
            return
        del self.pairs[i]
        self._show_pairs()
        self._reload_merges()
        self._say(
            self.tr("已合并：%1 并入 %2，移入剂次 %3 条")
            .replace("%1", result.dup_code)
            .replace("%2", result.kept_code)
            .replace("%3", str(result.moved_doses)),
            ok=True,
        )

    def _reload_merges(self) -> None:
        self.merges = merge.list_merges(self.db)
        fill(
            self.merges_table,
            [
                (
                    m.at.strftime("%Y-%m-%d %H:%M"),
                    m.kept_code,
                    m.dup_code,
                    m.user or "",
                    m.undone_at.strftime("%Y-%m-%d %H:%M") if m.undone_at else "",
                )
                for m in self.merges
            ],
        )

    def undo(self) -> None:
        rows = self.merges_table.selectionModel().selectedRows()
        if not rows:
            self._say(self.tr("请先选择一次合并"))
            return
        m = self.merges[rows[0].row()]
        try:
            merge.undo_merge(self.db, m.id, user=self.user)
        except EpiError as exc:
            self._say(exc.message)
            return
        self._reload_merges()
        self._say(self.tr("已撤销合并：%1 恢复为独立个案").replace("%1", m.dup_code), ok=True)

    # -- quality ------------------------------------------------------------------------

    def check(self) -> None:
        self.check_button.setEnabled(False)
        self.counts_label.setText(self.tr("正在检查…"))
        db, today = self.db, self.today()
        self._check_job.run(lambda: quality.quality_report(db, today), on_done=self._checked, on_error=self._failed)

    def _checked(self, report: quality.QualityReport) -> None:
        self.check_button.setEnabled(True)
        parts = [f"{QUALITY_KINDS[k]} {n}" for k, n in report.counts.items()]
        head = self.tr("已检查 %1 名儿童：").replace("%1", f"{report.checked:,}")
        parts.append(self.tr("本单位接种无追溯码 %1").replace("%1", str(report.no_trace_code)))
        parts.append(self.tr("追溯码超量使用 %1").replace("%1", str(report.overused)))
        self.counts_label.setText(head + "，".join(parts))
        self.issues = list(report.issues)
        fill(self.issues_table, [(i.label, i.child_code, i.name, i.detail) for i in self.issues])
        trace = [r for r in report.traceability if r.no_trace_code or r.overused]
        rows = [(r.month, r.vaccine_abbr, str(r.doses), str(r.no_trace_code), str(r.overused)) for r in trace]
        fill(self.trace_table, rows)

    # -- shared -------------------------------------------------------------------------

    def _failed(self, error: EpiError) -> None:
        self._say(error.message)

    def _say(self, text: str, ok: bool = False) -> None:
        self.find_button.setEnabled(True)
        self.check_button.setEnabled(True)
        say(self.message, text, ok)
