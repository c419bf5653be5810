"""The AEFI card (疑似预防接种异常反应个案): written from a dose, edited, followed up, reported.

Keyboard: Tab walks the form; Space ticks a symptom; Ctrl+S saves; Alt+R marks reported, Alt+F adds
the follow-up typed below, Alt+X exports the 个案报告卡 as xlsx, Alt+P prints it; Esc closes.
The reporting limit and the time left are shown and follow the severity, outcome and group flag as
they are chosen; another case of the same batch within 30 days shows the cluster alert.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QDate, QDateTime, Qt, QTime, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDateTimeEdit,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from epimanager.domain import aefi as rules
from epimanager.domain.aefi import AefiInput
from epimanager.errors import EpiError
from epimanager.services import aefi
from epimanager.services.aefi_export import export_xlsx
from epimanager.services.units import unit_info
from epimanager.store.database import Database
from epimanager.ui.dates import to_date
from epimanager.ui.print.aefi_card import card_html
from epimanager.ui.print.documents import document, print_to_pdf, print_with_dialog

ALERT = "color: #b00000; font-weight: bold;"
_CODE_ROLE = Qt.ItemDataRole.UserRole


def _qdt(v: datetime) -> QDateTime:
    return QDateTime(QDate(v.year, v.month, v.day), QTime(v.hour, v.minute))


def _py(q: QDateTimeEdit) -> datetime:
    d, t = q.dateTime().date(), q.dateTime().time()
    return datetime(d.year(), d.month(), d.day(), t.hour(), t.minute())


class AefiCard(QDialog):
    """A new card for one of ``choices`` (the child's doses), or the saved card ``case_uuid``."""

    def __init__(
        self,
        db: Database,
        *,
        choices: list[aefi.DoseChoice] | None = None,
        case_uuid: str | None = None,
        now: Callable[[], datetime] = datetime.now,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("aefiCard")
        self.db, self._now = db, now
        self.case: aefi.AefiRecord | None = aefi.get_case(db, case_uuid) if case_uuid else None
        self.choices = choices or []
        self.setWindowTitle(self.tr("疑似预防接种异常反应个案"))
        self.resize(720, 760)
        self.who = QLabel()
        self.dose = QComboBox()
        self.dose.setObjectName("dose")
        for c in self.choices:
            self.dose.addItem(c.label)
        self.dose_label = QLabel()
        self.onset = QDateTimeEdit()
        self.discovered = QDateTimeEdit()
        for edit in (self.onset, self.discovered):
            edit.setDisplayFormat("yyyy-MM-dd HH:mm")
            edit.setCalendarPopup(True)
        self.symptoms = QListWidget()
        self.symptoms.setObjectName("symptoms")
        for s in aefi.symptom_list().symptoms:
            item = QListWidgetItem(s.name)
            item.setData(_CODE_ROLE, s.code)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.symptoms.addItem(item)
        self.symptoms.setMinimumHeight(150)
        self.text = QLineEdit()
        self.text.setPlaceholderText(self.tr("临床经过（如 注射后 2 小时体温 39 °C，全身皮疹）"))
        self.diagnosis = QLineEdit()
        self.severity = QComboBox()
        self.severity.addItems(list(rules.SEVERITIES))
        self.group = QCheckBox(self.tr("群体性反应"))
        self.outcome = QComboBox()
        self.outcome.addItems(["", *aefi.symptom_list().outcomes])
        self.reporter = QLineEdit()
        self.limit = QLabel()
        self.limit.setObjectName("limit")
        self.cluster = QLabel()
        self.cluster.setObjectName("cluster")
        self.cluster.setStyleSheet(ALERT)
        self.cluster.setWordWrap(True)
        self.follow_list = QListWidget()
        self.follow_list.setMaximumHeight(80)
        self.follow_date = QDateEdit()
        self.follow_date.setDisplayFormat("yyyy-MM-dd")
        self.follow_text = QLineEdit()
        self.follow_text.setPlaceholderText(self.tr("随访情况"))
        self.follow_outcome = QComboBox()
        self.follow_outcome.addItems(["", *aefi.symptom_list().outcomes])
        self.follow_button = QPushButton(self.tr("添加随访(&F)"))
        self.message = QLabel()
        self.message.setObjectName("message")
        self.message.setWordWrap(True)
        self.save_button = QPushButton(self.tr("保存 Ctrl+S"))
        self.save_button.setDefault(True)
        self.report_button = QPushButton(self.tr("已报告(&R)"))
        self.export_button = QPushButton(self.tr("导出 xlsx(&X)…"))
        self.print_button = QPushButton(self.tr("打印(&P)…"))
        self.close_button = QPushButton(self.tr("关闭"))
        self._layout()
        self._connect()
        self._fill()
        self._tick = QTimer(self)
        self._tick.setInterval(30_000)
        self._tick.timeout.connect(self.update_limit)
        self._tick.start()

    # -- building ---------------------------------------------------------------------------

    def _layout(self) -> None:
        form = QFormLayout()
        form.addRow(self.tr("儿童"), self.who)
        form.addRow(self.tr("接种(&D)"), self.dose if self.case is None else self.dose_label)
        form.addRow(self.tr("发病时间(&O)"), self.onset)
        form.addRow(self.tr("发现时间(&I)"), self.discovered)
        form.addRow(self.tr("主要症状(&Y)"), self.symptoms)
        form.addRow(self.tr("临床经过(&T)"), self.text)
        form.addRow(self.tr("初步诊断(&G)"), self.diagnosis)
        sev = QHBoxLayout()
        sev.addWidget(self.severity)
        sev.addWidget(self.group)
        sev.addStretch(1)
        severity_label = QLabel(self.tr("严重程度(&V)"))
        severity_label.setBuddy(self.severity)
        form.addRow(severity_label, sev)
        form.addRow(self.tr("转归(&U)"), self.outcome)
        form.addRow(self.tr("报告人(&E)"), self.reporter)
        form.addRow(self.tr("报告时限"), self.limit)
        follow = QHBoxLayout()
        for w in (self.follow_date, self.follow_text, self.follow_outcome, self.follow_button):
            follow.addWidget(w, 1 if w is self.follow_text else 0)
        buttons = QHBoxLayout()
        for b in (self.save_button, self.report_button, self.export_button, self.print_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.cluster)
        self.follow_title = QLabel(self.tr("随访记录"))
        layout.addWidget(self.follow_title)
        layout.addWidget(self.follow_list)
        layout.addLayout(follow)
        layout.addWidget(self.message)
        layout.addLayout(buttons)

    def _connect(self) -> None:
        QShortcut(QKeySequence("Ctrl+S"), self).activated.connect(self.save)
        self.save_button.clicked.connect(self.save)
        self.report_button.clicked.connect(self.mark_reported)
        self.export_button.clicked.connect(self._export_dialog)
        self.print_button.clicked.connect(self._print_dialog)
        self.close_button.clicked.connect(self.reject)
        self.follow_button.clicked.connect(self.add_follow_up)
        self.dose.currentIndexChanged.connect(lambda _i: self._show_dose())
        for box in (self.severity, self.outcome):
            box.currentIndexChanged.connect(lambda _i: self.update_limit())
        self.group.toggled.connect(lambda _b: self.update_limit())
        self.discovered.dateTimeChanged.connect(lambda _d: self.update_limit())

    def _fill(self) -> None:
        now = self._now()
        c = self.case
        if c is None:
            self.onset.setDateTime(_qdt(now))
            self.discovered.setDateTime(_qdt(now))
            self.follow_date.setDate(_qdt(now).date())
            self._show_dose()
        else:
            self.who.setText(f"{c.child_name}（{c.child_code}）{c.child_sex} {c.child_birth.isoformat()}")
            when = c.dose_time.strftime("%Y-%m-%d %H:%M") if c.dose_time else c.dose_date.isoformat()
            self.dose_label.setText(f"{c.vaccine_name} 第{c.dose_number}剂 {when} 批号 {c.batch_no or '—'}")
            self.onset.setDateTime(_qdt(c.onset_at))
            self.discovered.setDateTime(_qdt(c.discovered_at))
            for i in range(self.symptoms.count()):
                item = self.symptoms.item(i)
                on = item.data(_CODE_ROLE) in c.symptoms
                item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
            self.text.setText(c.symptom_text or "")
            self.diagnosis.setText(c.diagnosis or "")
            self.severity.setCurrentText(c.severity)
            self.group.setChecked(c.group_event)
            self.outcome.setCurrentText(c.outcome or "")
            self.reporter.setText(c.reporter or "")
            self.follow_date.setDate(_qdt(now).date())
            self.follow_list.clear()
            for f in c.follow_ups:
                self.follow_list.addItem(f"{f.date.isoformat()} {f.text}" + (f"（{f.outcome}）" if f.outcome else ""))
            self._show_cluster()
        saved: tuple[QWidget, ...] = (
            self.follow_title, self.follow_list, self.follow_date, self.follow_text, self.follow_outcome,
            self.follow_button, self.report_button, self.export_button, self.print_button,
        )  # fmt: skip
        for w in saved:
            w.setVisible(c is not None)
        self.report_button.setEnabled(c is not None and c.reported_at is None)
        self.update_limit()

    def _show_dose(self) -> None:
        i = self.dose.currentIndex()
        if 0 <= i < len(self.choices):
            self.who.setText(f"{self.choices[i].child_name}（{self.choices[i].child_code}）")

    def _show_cluster(self) -> None:
        others = aefi.cluster_of(self.db, self.case) if self.case is not None else []
        if others:
            names = "、".join(f"{r.label}（发病 {r.onset:%m-%d}）" for r in others)
            text = self.tr("⚠ 同批号聚集：30 天内同一批号另有 %1 例（%2），请核查该批疫苗并评估是否为群体性 AEFI")
            self.cluster.setText(text.replace("%1", str(len(others))).replace("%2", names))
        self.cluster.setVisible(bool(others))

    # -- the limit ----------------------------------------------------------------------------

    def update_limit(self) -> None:
        outcome = self.outcome.currentText() or None
        sev, group = self.severity.currentText(), self.group.isChecked()
        c = self.case
        deadline = rules.report_deadline(_py(self.discovered), sev, outcome, group)
        left = rules.time_left_text(deadline, self._now(), c.reported_at if c is not None else None)
        text = f"{rules.limit_text(sev, outcome, group)}；{deadline:%Y-%m-%d %H:%M} 前；{left}"
        self.limit.setText(text)
        urgent = c is None or c.reported_at is None
        self.limit.setStyleSheet(ALERT if urgent and rules.is_urgent(sev, outcome, group) else "")

    # -- actions --------------------------------------------------------------------------------

    def _input(self) -> AefiInput:
        codes = tuple(
            str(self.symptoms.item(i).data(_CODE_ROLE))
            for i in range(self.symptoms.count())
            if self.symptoms.item(i).checkState() == Qt.CheckState.Checked
        )
        return AefiInput(
            onset_at=_py(self.onset),
            symptoms=codes,
            symptom_text=self.text.text(),
            severity=self.severity.currentText(),
            outcome=self.outcome.currentText() or None,
            group_event=self.group.isChecked(),
            diagnosis=self.diagnosis.text(),
            reporter=self.reporter.text(),
            discovered_at=_py(self.discovered),
        )

    def _done(self, case: aefi.AefiRecord, text: str) -> None:
        self.case = case
        self._fill()
        self.message.setStyleSheet("")
        self.message.setText(text)

    def _refused(self, exc: EpiError) -> None:
        self.message.setStyleSheet(ALERT)
        self.message.setText(exc.message)

    def save(self) -> bool:
        inp = self._input()
        try:
            if self.case is None:
                i = self.dose.currentIndex()
                if not 0 <= i < len(self.choices):
                    self.message.setText(self.tr("没有可选的接种记录"))
                    return False
                case = aefi.add_case(self.db, self.choices[i].dose_uuid, inp, now=self._now())
            else:
                c = self.case
                fields = {
                    "onset_at": inp.onset_at,
                    "discovered_at": inp.discovered_at,
                    "symptoms": inp.symptoms,
                    "symptom_text": inp.symptom_text,
                    "severity": inp.severity,
                    "outcome": inp.outcome,
                    "group_event": inp.group_event,
                    "diagnosis": inp.diagnosis,
                    "reporter": inp.reporter,
                }
                case = aefi.update_case(self.db, c.uuid, fields, expected_version=c.version, now=self._now())
        except EpiError as exc:
            self._refused(exc)
            return False
        self._done(case, self.tr("已保存。报告时限：%1").replace("%1", f"{case.deadline:%Y-%m-%d %H:%M}"))
        return True

    def mark_reported(self) -> bool:
        c = self.case
        if c is None:
            return False
        try:
            case = aefi.mark_reported(self.db, c.uuid, expected_version=c.version, now=self._now())
        except EpiError as exc:
            self._refused(exc)
            return False
        self._done(case, self.tr("已标记为已报告。"))
        return True

    def add_follow_up(self) -> bool:
        c = self.case
        if c is None:
            return False
        outcome = self.follow_outcome.currentText() or None
        try:
            case = aefi.add_follow_up(
                self.db, c.uuid, to_date(self.follow_date.date()), self.follow_text.text(), outcome,
                expected_version=c.version, now=self._now(),
            )  # fmt: skip
        except EpiError as exc:
            self._refused(exc)
            return False
        self.follow_text.clear()
        self.follow_outcome.setCurrentIndex(0)
        self._done(case, self.tr("已添加随访记录。"))
        return True

    def export_to(self, path: Path) -> Path:
        assert self.case is not None
        export_xlsx([self.case], path, unit_info(self.db).name, self._now())
        self.message.setText(self.tr("已导出：%1").replace("%1", str(path)))
        return path

    def print_to(self, path: Path) -> Path:
        assert self.case is not None
        return print_to_pdf(document(card_html(self.case, unit_info(self.db).name, self._now())), path)

    def _export_dialog(self) -> None:
        if self.case is None:
            return
        name = f"AEFI-{self.case.child_name}-{self.case.onset_at:%Y%m%d}.xlsx"
        path, _ = QFileDialog.getSaveFileName(self, self.tr("导出个案报告卡"), name, "Excel (*.xlsx)")
        if path:
            self.export_to(Path(path))

    def _print_dialog(self) -> None:
        if self.case is not None:
            print_with_dialog(document(card_html(self.case, unit_info(self.db).name, self._now())), self)
