"""预检 (Ctrl+J at the 预检台, or 接种 → 预检 at 登记 on a one-PC clinic): temperature and the
numbered health questions, with what they mean for today's vaccines shown live.

Keys: the temperature field first; Tab walks the questions; on a question Y (or 是) answers 是, N
answers 否, Space toggles; a digit 1–9 outside a text field toggles that question; a 是 to a
question that needs more (which vaccine, which immunoglobulin and when) opens its text field.
Enter or Ctrl+S saves (the service checks everything and names each problem), Ctrl+P prints the
医学建议书 once something is 暂缓 or 禁忌, Esc closes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from html import escape

from PySide6.QtCore import Qt
from PySide6.QtGui import QDoubleValidator, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from epimanager.domain import precheck as dp
from epimanager.errors import EpiError
from epimanager.services.precheck import PrecheckContext, PrecheckRecord, save_precheck
from epimanager.store.database import Database
from epimanager.ui.print import documents
from epimanager.ui.visits import precheck_slip

#: outcome → background colour (always with its word)
COLOURS = {dp.Outcome.OK: "#bfe6bf", dp.Outcome.DEFER: "#e6d3f2", dp.Outcome.CONTRA: "#c9c9c9"}


@dataclass
class _Question:
    question: dp.Question
    check: QCheckBox
    detail: QLineEdit | None


class _Answer(QCheckBox):
    """One question's 是/否: Y or 是 checks, N or 否 unchecks (Space toggles as usual)."""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        text = event.text().lower()
        if text in ("y", "是"):
            self.setChecked(True)
        elif text in ("n", "否"):
            self.setChecked(False)
        else:
            super().keyPressEvent(event)


class PrecheckDialog(QDialog):
    """预检 of ``ctx``'s child; ``saved`` holds the stored record."""

    def __init__(
        self,
        db: Database,
        ctx: PrecheckContext,
        *,
        user: str | None = None,
        unit_name: str = "",
        save_key: QKeySequence | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.db, self.ctx, self.user, self.unit_name = db, ctx, user, unit_name
        self.saved: PrecheckRecord | None = ctx.existing
        ticket = self.tr("（%1 号）").replace("%1", ctx.ticket) if ctx.ticket else ""
        self.setWindowTitle(self.tr("预检 · %1%2").replace("%1", ctx.child_name).replace("%2", ticket))
        self.setMinimumWidth(640)
        layout = QVBoxLayout(self)
        heading = QLabel(
            self.tr("%1　%2　出生 %3　预检日期 %4")
            .replace("%1", ctx.child_name)
            .replace("%2", ctx.child_code)
            .replace("%3", ctx.birth_date.isoformat())
            .replace("%4", ctx.day.isoformat())
        )
        heading.setStyleSheet("font-weight: bold; font-size: 13pt")
        layout.addWidget(heading)
        info = QLabel(
            self.tr("Y/N 回答所在问题，数字键切换第几题，Enter 或 Ctrl+S 保存，Ctrl+P 打印医学建议书，Esc 关闭")
        )
        info.setWordWrap(True)
        layout.addWidget(info)
        row = QHBoxLayout()
        label = QLabel(self.tr("体温(&T)："))
        self.temperature = QLineEdit()
        self.temperature.setObjectName("temperature")
        self.temperature.setPlaceholderText("36.5")
        self.temperature.setMaximumWidth(90)
        self.temperature.setValidator(QDoubleValidator(30.0, 45.0, 1, self.temperature))
        label.setBuddy(self.temperature)
        row.addWidget(label)
        row.addWidget(self.temperature)
        row.addWidget(QLabel("°C"))
        row.addStretch(1)
        version = QLabel(self.tr("问卷版本 %1").replace("%1", ctx.questions.version))
        version.setStyleSheet("color: #555")
        row.addWidget(version)
        layout.addLayout(row)
        grid = QGridLayout()
        grid.setColumnStretch(1, 1)
        self.questions: list[_Question] = []
        for n, q in enumerate(ctx.questions.questions):
            check = _Answer(self.tr("是"))
            check.setObjectName(f"answer{q.number}")
            text = QLabel(f"{q.number}. {q.text}")
            text.setWordWrap(True)
            text.setBuddy(check)
            grid.addWidget(text, 2 * n, 0, 1, 2)
            grid.addWidget(check, 2 * n, 2)
            detail = None
            if q.answer is not dp.AnswerKind.YES_NO:
                detail = QLineEdit()
                detail.setObjectName(f"detail{q.number}")
                hint = (
                    self.tr("品名@日期，如 IVIG@2026-11-20")
                    if q.answer is dp.AnswerKind.IMMUNOGLOBULIN
                    else self.tr("哪种疫苗，如 DTaP 或 百白破（多个用逗号分开）")
                )
                detail.setPlaceholderText(hint)
                detail.setVisible(False)
                detail.textChanged.connect(self.refresh)
                grid.addWidget(detail, 2 * n + 1, 0, 1, 3)
            check.toggled.connect(lambda on, d=detail: self._toggled(on, d))
            self.questions.append(_Question(q, check, detail))
        layout.addLayout(grid)
        self.outcome = QLabel()
        self.outcome.setObjectName("outcome")
        self.outcome.setTextFormat(Qt.TextFormat.RichText)
        self.outcome.setWordWrap(True)
        layout.addWidget(self.outcome)
        self.error = QLabel()
        self.error.setObjectName("error")
        self.error.setStyleSheet("color: #b00020")
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        std = QDialogButtonBox.StandardButton
        buttons = QDialogButtonBox(std.Save | std.Cancel)
        self.save_button = buttons.button(std.Save)
        self.save_button.setText(self.tr("保存(&S)"))
        self.save_button.setDefault(True)
        self.print_button = buttons.addButton(self.tr("打印医学建议书(&P)"), QDialogButtonBox.ButtonRole.ActionRole)
        self.print_button.setAutoDefault(False)
        self.print_button.clicked.connect(self.print_slip)
        buttons.button(std.Cancel).setText(self.tr("关闭"))
        buttons.accepted.connect(self.try_save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        QShortcut(save_key or QKeySequence("Ctrl+S"), self, self.try_save)
        QShortcut(QKeySequence("Ctrl+P"), self, self.print_slip)
        self.temperature.textChanged.connect(self.refresh)
        self._load(ctx.existing)
        self.temperature.setFocus()

    # -- answers ---------------------------------------------------------------------------------

    def _load(self, record: PrecheckRecord | None) -> None:
        if record is not None:
            self.temperature.setText(f"{record.temperature:.1f}")
            by_number = {a.number: a for a in record.answers}
            for q in self.questions:
                a = by_number.get(q.question.number)
                q.check.setChecked(bool(a and a.yes))
                if q.detail is not None and a is not None:
                    q.detail.setText(_shown_detail(a.detail))
        self.refresh()

    def _toggled(self, on: bool, detail: QLineEdit | None) -> None:
        if detail is not None:
            detail.setVisible(on)
            if on:
                detail.setFocus()
        self.refresh()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        text = event.text()
        if text.isdigit() and not isinstance(self.focusWidget(), QLineEdit):
            found = next((q for q in self.questions if q.question.number == int(text)), None)
            if found is not None:
                found.check.toggle()
                if not found.check.isChecked() or found.detail is None:
                    found.check.setFocus()
                return
        super().keyPressEvent(event)

    def temperature_value(self) -> float | None:
        text = self.temperature.text().strip().replace("，", ".").replace(",", ".")
        try:
            return float(text)
        except ValueError:
            return None

    def answers(self, *, strict: bool) -> dict[int, dp.Answer]:
        """The answers as the service takes them; with ``strict`` a detail that cannot be read
        raises ``ValueError`` naming the question."""
        out: dict[int, dp.Answer] = {}
        for q in self.questions:
            n = q.question.number
            if not q.check.isChecked():
                continue
            detail = q.detail.text().strip() if q.detail is not None else ""
            if not detail:
                out[n] = dp.Answer(True)
                continue
            try:
                out[n] = dp.parse_answer(self.ctx.questions, f"{n}=yes:{detail}")[1]
            except ValueError:
                if strict:
                    raise
                out[n] = dp.Answer(True)
        return out

    # -- the outcome, live -------------------------------------------------------------------------

    def refresh(self) -> None:
        t = self.temperature_value()
        if t is None:
            self.outcome.setText(self.tr("填写体温后显示今天各疫苗能否接种"))
            return
        problems = dp.check(self.ctx.questions, {}, t)
        if problems:
            self.outcome.setText(escape(problems[0]))
            return
        outcomes = self.ctx.evaluate(self.answers(strict=False), t)
        self.outcome.setText(self.outcome_html(outcomes, t))

    def outcome_html(self, outcomes: tuple[dp.VaccineOutcome, ...], t: float) -> str:
        lines = [f"<b>{escape(self.tr('今天的疫苗'))}</b>"]
        if not outcomes:
            lines.append(escape(self.tr("今天没有应种或已安排的疫苗")))
        for o in outcomes:
            colour = COLOURS[o.outcome]
            why = f"（{escape('；'.join(o.reasons))}）" if o.reasons else ""
            word = escape(self._word(o))
            lines.append(f'<span style="background:{colour}">&nbsp;{word}&nbsp;</span> {escape(o.name)}{why}')
        if t > self.ctx.questions.fever_above:
            lines.append(escape(self.tr("发热：全部疫苗暂缓接种")))
        cautions = sorted({c for o in outcomes for c in o.cautions})
        lines.extend(f'<span style="color:#8a5a00">{escape(c)}</span>' for c in cautions)
        return "<br>".join(lines)

    def _word(self, o: dp.VaccineOutcome) -> str:
        if o.outcome is dp.Outcome.DEFER and o.until is not None:
            return self.tr("暂缓至 %1").replace("%1", o.until.isoformat())
        return {
            dp.Outcome.OK: self.tr("可接种"),
            dp.Outcome.DEFER: self.tr("暂缓"),
            dp.Outcome.CONTRA: self.tr("禁忌"),
        }[o.outcome]

    # -- saving and printing -------------------------------------------------------------------------

    def try_save(self) -> None:
        t = self.temperature_value()
        if t is None:
            self.error.setText(self.tr("请填写体温"))
            self.temperature.setFocus()
            return
        try:
            answers = self.answers(strict=True)
            now = dt.datetime.combine(self.ctx.day, dt.datetime.now().time())  # the dialog's day
            version = self.saved.version if self.saved is not None else 0
            record = save_precheck(self.db, self.ctx.child_code, t, answers, expected_version=version,
                                   user=self.user, now=now)  # fmt: skip
        except ValueError as exc:
            self.error.setText(str(exc))
            return
        except EpiError as exc:
            self.error.setText(exc.message)
            return
        self.saved = record
        if all(o.outcome is dp.Outcome.OK for o in record.outcomes) and not record.deferrals:
            self.accept()
            return
        self.error.setText("")
        self.outcome.setText(
            self.outcome_html(record.outcomes, t)
            + "<br><b>"
            + escape(
                self.tr("已保存（第%1版）。按 Ctrl+P 打印医学建议书，Esc 关闭。").replace("%1", str(self.saved.version))
            )
            + "</b>"
        )
        self.print_button.setFocus()

    def slip_html(self) -> str | None:
        if self.saved is None:
            return None
        return precheck_slip.slip_html(self.saved, self.ctx.birth_date, self.unit_name)

    def print_slip(self) -> bool:
        html = self.slip_html()
        if html is None:
            self.error.setText(self.tr("请先保存预检，再打印医学建议书"))
            return False
        return documents.print_with_dialog(documents.document(html), self)

    def done(self, result: int) -> None:
        rejected = result == QDialog.DialogCode.Rejected.value
        if rejected and self.saved is not None and self.saved is not self.ctx.existing:
            result = QDialog.DialogCode.Accepted.value  # saved, then closed with Esc: the window reads the child again
        super().done(result)


def _shown_detail(detail: str) -> str:
    """A stored detail as the field shows it (``0401`` → ``DTaP``; ``IVIG 2026-11-20`` → ``IVIG@2026-11-20``)."""
    from epimanager.resources import catalog

    parts = detail.split(" ")
    if len(parts) == 2 and parts[1][:2] in ("19", "20"):
        return f"{parts[0]}@{parts[1]}"
    names = []
    for code in detail.split("、"):
        vac = catalog().get(code)
        names.append(vac.abbr if vac else code)
    return ",".join(n for n in names if n)
