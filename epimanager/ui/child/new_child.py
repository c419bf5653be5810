"""新建儿童: the domain model's fields, validated as you type.

A valid ID number fills sex and birth date; the child code is generated on
saving; a child with the same ID number, or the same name + birth date +
mother, is pointed out before saving; the birth doses (HepB 1, BCG) can be
recorded at once.
"""

from __future__ import annotations

import contextlib
import itertools
import uuid
from collections.abc import Callable
from datetime import date
from functools import partial

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from epimanager.domain.codes import MotherHBsAg, Residence, Sex
from epimanager.domain.identifiers import id_birth_date, id_number_problem, id_sex, normalize_id_number
from epimanager.domain.validation import ChildInput, DoseInput, child_field_problems, id_birth_problem
from epimanager.errors import EpiError
from epimanager.services.children import create_child
from epimanager.services.doses import OTHER_PLACE
from epimanager.services.records import ChildRecord
from epimanager.services.ui_support import Duplicate, find_duplicates
from epimanager.store.database import Database, ServerLost
from epimanager.ui import notify
from epimanager.ui.code_labels import tr_code
from epimanager.ui.dates import to_date, to_qdate
from epimanager.ui.field_notes import FieldNotes
from epimanager.ui.grow import fit_placeholder
from epimanager.ui.i18n import QT_TRANSLATE_NOOP
from epimanager.ui.server_retry import SaveRetry

BIRTH_DOSES = (
    ("0201", QT_TRANSLATE_NOOP("NewChildDialog", "乙肝疫苗第1剂（HepB）")),
    ("0101", QT_TRANSLATE_NOOP("NewChildDialog", "卡介苗（BCG）")),
)
QT_TRANSLATE_NOOP("NewChildDialog", "身份证号")  # Duplicate.reason
QT_TRANSLATE_NOOP("NewChildDialog", "姓名+出生日期+母亲")


class NewChildDialog(QDialog):
    def __init__(
        self,
        db: Database,
        committees: tuple[str, ...],
        nurse: str,
        own_unit: str,
        today: date | None = None,
        save_key: str = "Ctrl+S",
        duplicates: Callable[..., list[Duplicate]] = find_duplicates,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.db, self.nurse, self.own_unit = db, nurse, own_unit
        # the new child's id, chosen now: a save retried after a lost connection never registers it twice
        self._uuid = str(uuid.uuid4())
        self._retry = SaveRetry(self, db, partial(self.try_save, retry=True))
        self._duplicates_confirmed = False
        self.today = today or date.today()
        self._duplicates_fn = duplicates
        self.created: ChildRecord | None = None
        self.duplicates: list[Duplicate] = []
        self.setWindowTitle(self.tr("新建儿童"))
        t = self.today
        self.name = QLineEdit()
        self.name.setMaxLength(20)
        self.sex = QComboBox()
        for s in Sex:
            self.sex.addItem(tr_code(s.label), s.value)
        self.birth_date = QDateEdit(to_qdate(t))
        self.birth_date.setDisplayFormat("yyyy-MM-dd")
        self.birth_date.setCalendarPopup(True)
        # no maximum: a typed future year stays as typed and is refused at the field (never clamped)
        self.birth_time = QLineEdit()
        self.birth_time.setPlaceholderText("HH:MM")
        self.birth_weight = QLineEdit()
        self.birth_weight.setPlaceholderText(self.tr("公斤，如 3.2"))
        self.id_number = QLineEdit()
        self.id_number.setMaxLength(18)
        self.id_status = QLabel()
        self.id_status.setObjectName("idStatus")
        self.birth_cert_no = QLineEdit()
        self.mother_name = QLineEdit()
        self.mother_id = QLineEdit()
        self.mother_id.setMaxLength(18)
        self.father_name = QLineEdit()
        self.father_id = QLineEdit()
        self.father_id.setMaxLength(18)
        self.phone = QLineEdit()
        self.committee = QComboBox()
        self.committee.addItem("", None)
        for c in committees:
            self.committee.addItem(c, c)
        self.address = QLineEdit()
        self.hukou = QLineEdit()
        self.hukou.setMaxLength(6)
        self.hukou.setPlaceholderText(self.tr("6位县级国标码"))
        self.residence = QComboBox()
        for r in Residence:
            self.residence.addItem(tr_code(r.label), int(r))
        self.hbsag = QComboBox()
        for h in MotherHBsAg:
            self.hbsag.addItem(tr_code(h.label), h.value)
        self.allergy = QLineEdit()
        self.remark = QLineEdit()
        fit_placeholder(self.birth_weight, self.hukou)
        digits = self.id_number.fontMetrics().horizontalAdvance("0" * 18 + "XX")
        for w in (self.id_number, self.mother_id, self.father_id):
            w.setMinimumWidth(digits)
        self.code_note = QLabel(self.tr("儿童编码：保存时自动生成（单位编码＋出生年份＋序号）"))

        grid = QGridLayout()
        self.notes = FieldNotes()
        cells = {
            "name": self.name,
            "birth_date": self.birth_date,
            "birth_time": self.birth_time,
            "birth_cert_no": self.birth_cert_no,
            "mother_name": self.mother_name,
            "mother_id_number": self.mother_id,
            "father_name": self.father_name,
            "father_id_number": self.father_id,
            "phone": self.phone,
            "birth_weight_kg": self.birth_weight,
            "hukou_county": self.hukou,
        }
        wrapped: dict[QWidget, QWidget] = {w: self.notes.wrap(key, w) for key, w in cells.items()}
        wrapped[self.id_number] = self.notes.wrap("id_number", self.id_number, self.id_status)
        rows = (
            (self.tr("姓名(&A)*："), self.name, self.tr("性别(&X)*："), self.sex),
            (self.tr("出生日期(&B)*："), self.birth_date, self.tr("出生时间："), self.birth_time),
            (self.tr("身份证号(&I)："), self.id_number, self.tr("出生证号："), self.birth_cert_no),
            (self.tr("母亲姓名(&M)："), self.mother_name, self.tr("母亲身份证号："), self.mother_id),
            (self.tr("父亲姓名(&F)："), self.father_name, self.tr("父亲身份证号："), self.father_id),
            (self.tr("联系电话(&P)："), self.phone, self.tr("出生体重："), self.birth_weight),
            (self.tr("区域划分(&C)："), self.committee, self.tr("居住属性："), self.residence),
            (self.tr("家庭住址："), self.address, self.tr("户籍县国标："), self.hukou),
            (self.tr("母亲HBsAg："), self.hbsag, self.tr("过敏史："), self.allergy),
        )
        for row_no, (l1, w1, l2, w2) in enumerate(rows):
            for col, (label, field) in enumerate(((l1, w1), (l2, w2))):
                lab = QLabel(label)
                lab.setBuddy(field)
                grid.addWidget(lab, row_no, col * 2, Qt.AlignmentFlag.AlignTop)
                grid.addWidget(wrapped.get(field, field), row_no, col * 2 + 1, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(QLabel(self.tr("备注：")), len(rows), 0)
        grid.addWidget(self.remark, len(rows), 1, 1, 3)

        self.birth_box = QGroupBox(self.tr("同时登记出生时接种"))
        box = QFormLayout(self.birth_box)
        self.birth_checks: dict[str, QCheckBox] = {}
        checks = QHBoxLayout()
        for code, label in BIRTH_DOSES:
            cb = QCheckBox(self.tr(label))
            cb.setObjectName(f"birthDose{code}")
            self.birth_checks[code] = cb
            checks.addWidget(cb)
        checks.addStretch(1)
        box.addRow(checks)
        self.birth_place = QComboBox()
        self.birth_place.addItem(self.tr("出生医院（外地）"), OTHER_PLACE)
        self.birth_place.addItem(self.tr("本单位"), own_unit)
        box.addRow(self.tr("接种地点："), self.birth_place)

        self.problems = QLabel()
        self.problems.setObjectName("problems")
        self.problems.setStyleSheet("color: #b00020")
        self.problems.setWordWrap(True)
        self.duplicate_note = QLabel()
        self.duplicate_note.setObjectName("duplicates")
        self.duplicate_note.setStyleSheet("color: #8a5a00; font-weight: bold")
        self.duplicate_note.setWordWrap(True)
        std = QDialogButtonBox.StandardButton
        buttons = QDialogButtonBox(std.Save | std.Cancel)
        self.save_button = buttons.button(std.Save)
        self.save_button.setText(self.tr("保存(&S)"))
        self.save_button.setDefault(True)
        buttons.button(std.Cancel).setText(self.tr("取消"))
        buttons.accepted.connect(self.try_save)
        buttons.rejected.connect(self.reject)
        QShortcut(QKeySequence(save_key), self).activated.connect(self.try_save)

        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addWidget(self.code_note)
        layout.addWidget(self.birth_box)
        layout.addWidget(self.problems)
        layout.addWidget(self.duplicate_note)
        layout.addWidget(buttons)

        order = [w for row in rows for w in (row[1], row[3])] + [self.remark, *self.birth_checks.values()]
        order += [self.birth_place, self.save_button]
        for a, b in itertools.pairwise(order):
            QWidget.setTabOrder(a, b)  # row by row, as the form reads

        self._dup_timer = QTimer(self)
        self._dup_timer.setSingleShot(True)
        self._dup_timer.setInterval(250)
        self._dup_timer.timeout.connect(self._check_duplicates_while_typing)
        self.id_number.textChanged.connect(self._id_changed)
        for w in (
            self.name,
            self.mother_name,
            self.father_name,
            self.phone,
            self.mother_id,
            self.father_id,
            self.birth_time,
            self.birth_weight,
            self.hukou,
        ):
            w.textChanged.connect(self.validate)
        for w in (self.name, self.mother_name, self.id_number):
            w.textChanged.connect(self._dup_timer.start)
        self.birth_date.dateChanged.connect(self.validate)
        self.birth_date.dateChanged.connect(self._dup_timer.start)
        self.sex.currentIndexChanged.connect(self.validate)
        self.name.setFocus()

    # -- as you type ------------------------------------------------------------------

    def _id_changed(self, text: str) -> None:
        t = normalize_id_number(text)
        if len(t) < 15:
            self.id_status.setText(self.tr("已输入 %1 位").replace("%1", str(len(t))) if t else "")
            self.id_status.setStyleSheet("color: #555555")
        else:
            problem = id_number_problem(t) or id_birth_problem(t, self.today)
            if problem is None:
                born, sex = id_birth_date(t), id_sex(t)
                if born is not None:
                    self.birth_date.setDate(to_qdate(born))
                if sex is not None:
                    self.sex.setCurrentIndex(max(self.sex.findData(sex), 0))
                self.id_status.setText(
                    self.tr("✓ 身份证号有效：已填入性别 %1、出生日期 %2")
                    .replace("%1", self.sex.currentText())
                    .replace("%2", born.isoformat() if born else "")
                )
                self.id_status.setStyleSheet("color: #1b5e20")
            elif len(t) == 18 or (len(t) == 15 and t.isdigit()):
                self.id_status.setText("✗ " + problem)
                self.id_status.setStyleSheet("color: #b00020")
        self.validate()

    def child_input(self) -> ChildInput:
        q = self.birth_date.date()
        weight_text = self.birth_weight.text().strip()
        try:
            weight = float(weight_text) if weight_text else None
        except ValueError:
            raise EpiError(self.tr("出生体重应为数字，如 3.2")) from None
        return ChildInput(
            name=self.name.text().strip(),
            sex=str(self.sex.currentData()),
            birth_date=to_date(q),
            mother_name=self.mother_name.text().strip() or None,
            father_name=self.father_name.text().strip() or None,
            phone=self.phone.text().strip() or None,
            id_number=self.id_number.text().strip() or None,
            address=self.address.text().strip() or None,
            committee=self.committee.currentData(),
            residence=int(self.residence.currentData()),
            birth_cert_no=self.birth_cert_no.text().strip() or None,
            birth_time=self.birth_time.text().strip() or None,
            birth_weight_kg=weight,
            mother_id_number=self.mother_id.text().strip() or None,
            father_id_number=self.father_id.text().strip() or None,
            hukou_county=self.hukou.text().strip() or None,
            mother_hbsag=str(self.hbsag.currentData()),
            allergy=self.allergy.text().strip() or None,
            remark=self.remark.text().strip() or None,
        )

    def current_problems(self) -> list[tuple[str, str]]:
        """The domain's problems, each with its field (``birth_weight_kg`` when the weight is not a number)."""
        try:
            inp = self.child_input()
        except EpiError as exc:
            return [("birth_weight_kg", exc.message)]
        return child_field_problems(inp, self.today)

    def show_problems(self, problems: list[tuple[str, str]]) -> list[str]:
        """Each message at its field, and all of them in the list under the form."""
        self.notes.show(problems)
        messages = [m for _f, m in problems]
        self.problems.setText("\n".join("✗ " + m for m in messages))
        return messages

    def validate(self) -> list[str]:
        problems = self.current_problems()
        # "name empty" / "a parent needed" are only worth saying once the nurse got there
        if not self.name.text().strip():
            problems = [p for p in problems if p[1] != "姓名不能为空"]
        if not (self.mother_name.text().strip() or self.father_name.text().strip()):
            problems = [p for p in problems if p[1] != "母亲姓名和父亲姓名至少填写一个"]
        return self.show_problems(problems)

    def check_duplicates(self) -> list[Duplicate]:
        q = self.birth_date.date()
        self.duplicates = self._duplicates_fn(
            self.db,
            self.name.text(),
            to_date(q),
            self.mother_name.text(),
            self.id_number.text() if id_number_problem(self.id_number.text()) is None else None,
        )
        if self.duplicates:
            lines = [
                self.tr("⚠ 可能重复（%1）：%2 %3 母亲 %4，编码 %5")
                .replace("%1", self.tr(d.reason))
                .replace("%2", d.name)
                .replace("%3", d.birth_date.isoformat())
                .replace("%4", d.mother_name or "—")
                .replace("%5", d.code)
                for d in self.duplicates
            ]
            self.duplicate_note.setText("\n".join(lines))
        else:
            self.duplicate_note.setText("")
        return self.duplicates

    # -- saving -----------------------------------------------------------------------

    def try_save(self, *, retry: bool = False) -> None:
        if not retry:  # the nurse pressed save: a new save, asked anew
            self._retry.stop()
            self._duplicates_confirmed = False
        try:
            inp = self.child_input()
        except EpiError as exc:
            self.show_problems([("birth_weight_kg", exc.message)])
            return
        problems = child_field_problems(inp, self.today)
        if problems:
            self.show_problems(problems)
            return
        try:
            if self.check_duplicates() and not self._duplicates_confirmed:
                question = self.tr("已有相同的儿童：\n%1\n\n仍要新建吗？").replace("%1", self.duplicate_note.text())
                if not notify.confirm(self, self.tr("可能重复"), question):
                    return
                self._duplicates_confirmed = True
            # the child and the birth doses are one save: both or neither
            self.created = create_child(
                self.db,
                inp,
                user=self.nurse,
                today=self.today,
                birth_doses=self._birth_doses(inp.birth_date),
                uuid=self._uuid,
            )
        except ServerLost as exc:  # kept here; saved by itself once the server answers
            self.problems.setText("✗ " + self._retry.start(exc))
            return
        except EpiError as exc:
            self.problems.setText("✗ " + exc.message)
            return
        self.accept()

    def _check_duplicates_while_typing(self) -> None:
        with contextlib.suppress(ServerLost):  # the status bar says the server is away; saving checks again
            self.check_duplicates()

    def _birth_doses(self, born: date) -> list[DoseInput]:
        place = self.birth_place.currentData()
        return [
            DoseInput(
                vaccine=code,
                dose_number=1,
                date=born,
                unit_code=None if place == OTHER_PLACE else place,
                place_text=OTHER_PLACE if place == OTHER_PLACE else None,
            )
            for code, cb in self.birth_checks.items()
            if cb.isChecked()
        ]
