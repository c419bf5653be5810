"""The printed pages: 接种记录 (vaccination certificate page) and today's 回执 (receipt).

Both are built as HTML into a :class:`QTextDocument` with the CJK UI font, then
printed through Qt's print dialog or written to a PDF file.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from html import escape
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QMarginsF
from PySide6.QtGui import QFont, QPageLayout, QPageSize, QTextDocument
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from epimanager.domain.codes import DoseAttribute
from epimanager.domain.schedule import Forecast
from epimanager.resources import catalog
from epimanager.services.consent import ConsentRecord
from epimanager.services.next_visit import NextVisit
from epimanager.services.records import ChildRecord, DoseRecord
from epimanager.ui.child.fields import FIELD_BY_KEY
from epimanager.ui.child.model import evaluations, status_label
from epimanager.ui.i18n import QT_TRANSLATE_NOOP


def tr(text: str) -> str:
    return QCoreApplication.translate("Print", text)


_DOSE_HEADERS = (
    QT_TRANSLATE_NOOP("Print", "疫苗"),
    QT_TRANSLATE_NOOP("Print", "剂次"),
    QT_TRANSLATE_NOOP("Print", "接种日期"),
    QT_TRANSLATE_NOOP("Print", "属性"),
    QT_TRANSLATE_NOOP("Print", "批号"),
    QT_TRANSLATE_NOOP("Print", "生产企业"),
    QT_TRANSLATE_NOOP("Print", "接种单位"),
    QT_TRANSLATE_NOOP("Print", "接种护士"),
    QT_TRANSLATE_NOOP("Print", "评价"),
)
_NEXT_HEADERS = (
    QT_TRANSLATE_NOOP("Print", "疫苗"),
    QT_TRANSLATE_NOOP("Print", "剂次"),
    QT_TRANSLATE_NOOP("Print", "可种日期"),
    QT_TRANSLATE_NOOP("Print", "状态"),
)
_TABLE = '<table width="100%" border="1" cellspacing="0" cellpadding="3">'
_STYLE = """
h1 { font-size: 16pt; text-align: center; margin: 0 0 4px 0; }
p.sub { text-align: center; color: #333; margin: 0 0 8px 0; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #444; padding: 3px 5px; font-size: 9.5pt; }
th { background: #e8e8e8; }
td.k { background: #f4f4f4; width: 14%; }
h2 { font-size: 11pt; margin: 10px 0 4px 0; }
p.foot { font-size: 9pt; color: #333; }
"""


def _info_table(child: ChildRecord) -> str:
    keys = (
        "name",
        "sex",
        "birth_date",
        "code",
        "mother_name",
        "father_name",
        "phone",
        "committee",
        "address",
        "id_number",
    )
    cells = [(FIELD_BY_KEY[k].title(), FIELD_BY_KEY[k].display(child)) for k in keys]
    rows = []
    for i in range(0, len(cells), 2):
        pair = cells[i : i + 2]
        rows.append("<tr>" + "".join(f'<td class="k">{escape(k)}</td><td>{escape(v)}</td>' for k, v in pair) + "</tr>")
    return _TABLE + "".join(rows) + "</table>"


def _place(d: DoseRecord, unit_names: dict[str, str]) -> str:
    if d.unit_code and d.unit_code in unit_names:
        return unit_names[d.unit_code]
    return d.place_text or d.unit_code or QCoreApplication.translate("Print", "外地")


def _dose_rows(doses: list[DoseRecord], forecast: Forecast | None, unit_names: dict[str, str]) -> str:
    evals = evaluations(forecast)
    cat = catalog()
    order = {v.code: i for i, v in enumerate(cat.sorted())}
    head = "".join(f"<th>{escape(tr(h))}</th>" for h in _DOSE_HEADERS)
    body = []
    for d in sorted(doses, key=lambda d: (order.get(d.vaccine_code, 999), d.date)):
        ev = evals.get((d.vaccine_code, d.date))
        ev_text = ""
        if ev is not None and ev.evaluation is not None:
            ev_text = ("" if ev.valid else "✗") + QCoreApplication.translate("Grid", ev.evaluation.value)
        cells = (
            f"{d.vaccine_name}（{d.vaccine_abbr}）",
            str(d.dose_number),
            d.date.isoformat(),
            QCoreApplication.translate("Codes", DoseAttribute(d.attribute).label),
            d.batch_no or "",
            d.manufacturer or "",
            _place(d, unit_names),
            d.nurse or "",
            ev_text,
        )
        # the dose number, the date and the batch are never broken across lines
        body.append(
            "<tr>"
            + "".join(_nobr(c) if i in (1, 2, 4) else f"<td>{escape(c)}</td>" for i, c in enumerate(cells))
            + "</tr>"
        )
    if not body:
        body.append(f'<tr><td colspan="9">{escape(QCoreApplication.translate("Print", "（无接种记录）"))}</td></tr>')
    return f"{_TABLE}<tr>{head}</tr>{''.join(body)}</table>"


def _nobr(text: str, tag: str = "td") -> str:
    """A cell whose text is never broken across lines (dates, 第N剂, batch numbers).  Qt's table
    layout honours ``white-space: nowrap`` on the cell; ``<nobr>`` inside a padded cell it breaks."""
    return f'<{tag} style="white-space: nowrap">{escape(text)}</{tag}>'


def _next_html(visit: NextVisit | None, limit: int = 8) -> str:
    """The open series after the visit, soonest first: vaccine, dose, from when, state."""
    items = visit.doses[:limit] if visit is not None else ()
    if not items:
        return "<p>" + escape(QCoreApplication.translate("Print", "目前没有待接种的免疫规划疫苗。")) + "</p>"
    dose_word = QCoreApplication.translate("Print", "第%1剂")
    rows = "".join(
        f"<tr><td>{escape(d.name)}</td>{_nobr(dose_word.replace('%1', str(d.dose_number)))}"
        f"{_nobr(d.date.isoformat())}{_nobr(status_label(d.status))}</tr>"
        for d in items
    )
    head = "".join(_nobr(tr(h), "th") for h in _NEXT_HEADERS)
    return f"{_TABLE}<tr>{head}</tr>{rows}</table>"


def next_visit_line(visit: NextVisit | None) -> tuple[str, str]:
    """The receipt's headline (下次接种：2026-12-24 起) and what is given then."""
    if visit is None or visit.date is None:
        return QCoreApplication.translate("Print", "下次接种：暂无"), ""
    dose_word = QCoreApplication.translate("Print", "第%1剂")
    line = QCoreApplication.translate("Print", "下次接种：%1 起").replace("%1", visit.date.isoformat())
    what = "、".join(f"{d.name} {dose_word.replace('%1', str(d.dose_number))}" for d in visit.first)
    return line, QCoreApplication.translate("Print", "届时接种：%1").replace("%1", what)


def _page(title: str, sub: str, body: str) -> str:
    return (
        f"<html><head><style>{_STYLE}</style></head><body>"
        f"<h1>{escape(title)}</h1>"
        f'<p class="sub">{escape(sub)}</p>'
        f"{body}</body></html>"
    )


def record_html(
    child: ChildRecord,
    forecast: Forecast | None,
    visit: NextVisit | None,
    unit_name: str,
    unit_names: dict[str, str],
    today: date,
) -> str:
    printed = QCoreApplication.translate("Print", "打印日期：") + today.isoformat()
    body = (
        _info_table(child)
        + "<h2>"
        + escape(QCoreApplication.translate("Print", "接种记录"))
        + "</h2>"
        + _dose_rows(list(child.doses), forecast, unit_names)
        + "<h2>"
        + escape(QCoreApplication.translate("Print", "下次接种"))
        + "</h2>"
        + _next_html(visit)
        + '<p class="foot">'
        + escape(QCoreApplication.translate("Print", "请妥善保管接种证，按时带孩子接种。"))
        + "</p>"
    )
    return _page(QCoreApplication.translate("Print", "儿童预防接种记录"), f"{unit_name}　{printed}", body)


def consent_lines(consents: Sequence[ConsentRecord]) -> list[tuple[str, str, str]]:
    """The receipt's 知情告知 rows: vaccine, dose, and 已签署知情同意 / 纸质签字 / 拒绝（reason）/ 到点再议."""
    dose_word = QCoreApplication.translate("Print", "第%1剂")
    out = []
    for c in consents:
        state = QCoreApplication.translate("Print", c.status)
        if c.reason and c.status == "拒绝":
            state += f"（{c.reason}）"
        out.append((c.vaccine_name, dose_word.replace("%1", str(c.dose_number)) if c.dose_number else "", state))
    return out


_CONSENT_WORDS = (
    QT_TRANSLATE_NOOP("Print", "已签署知情同意"),
    QT_TRANSLATE_NOOP("Print", "纸质签字"),
    QT_TRANSLATE_NOOP("Print", "拒绝"),
    QT_TRANSLATE_NOOP("Print", "到点再议"),
)
_CONSENT_HEADERS = (
    QT_TRANSLATE_NOOP("Print", "疫苗"),
    QT_TRANSLATE_NOOP("Print", "剂次"),
    QT_TRANSLATE_NOOP("Print", "知情告知"),
)


def _consent_html(rows: Sequence[tuple[str, str, str]]) -> str:
    if not rows:
        return ""
    head = "".join(_nobr(tr(h), "th") for h in _CONSENT_HEADERS)
    body = "".join(f"<tr><td>{escape(n)}</td>{_nobr(d)}<td>{escape(s)}</td></tr>" for n, d, s in rows)
    title = escape(QCoreApplication.translate("Print", "知情告知"))
    return f"<h2>{title}</h2>{_TABLE}<tr>{head}</tr>{body}</table>"


def receipt_html(
    child: ChildRecord,
    forecast: Forecast | None,
    visit: NextVisit | None,
    unit_name: str,
    unit_names: dict[str, str],
    today: date,
    *,
    consents: Sequence[tuple[str, str, str]] = (),
) -> str:
    """Today's doses, the guardian's consents of the day (``consents``: :func:`consent_lines`) and the
    next visit — as of the day after today, so today's doses count."""
    todays = [d for d in child.doses if d.date == today]
    next_line, next_what = next_visit_line(visit)
    who = (
        QCoreApplication.translate("Print", "儿童：")
        + f"{child.name}（{child.code}）　"
        + QCoreApplication.translate("Print", "出生日期：")
        + child.birth_date.isoformat()
    )
    body = (
        f"<p>{escape(who)}</p>"
        + "<h2>"
        + escape(QCoreApplication.translate("Print", "今日接种"))
        + "</h2>"
        + _dose_rows(todays, forecast, unit_names)
        + _consent_html(consents)
        + _nobr(next_line, "h2")
        + (f"<p>{escape(next_what)}</p>" if next_what else "")
        + _next_html(visit)
        + '<p class="foot">'
        + escape(QCoreApplication.translate("Print", "接种后请在接种单位留观30分钟。"))
        + "</p>"
    )
    return _page(QCoreApplication.translate("Print", "接种回执"), f"{unit_name}　{today.isoformat()}", body)


def document(html: str) -> QTextDocument:
    doc = QTextDocument()
    font = QFont(QApplication.font())
    font.setPointSize(10)
    doc.setDefaultFont(font)
    doc.setHtml(html)
    return doc


def _printer(printer: QPrinter) -> QPrinter:
    printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    printer.setPageMargins(QMarginsF(15, 15, 15, 15), QPageLayout.Unit.Millimeter)
    return printer


def print_with_dialog(doc: QTextDocument, parent: QWidget | None) -> bool:
    """Qt's print dialog (a printer, or 'Print to File (PDF)'); False when cancelled."""
    printer = _printer(QPrinter(QPrinter.PrinterMode.HighResolution))
    dialog = QPrintDialog(printer, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return False
    doc.print_(printer)
    return True


def print_to_pdf(doc: QTextDocument, path: Path) -> Path:
    printer = _printer(QPrinter(QPrinter.PrinterMode.HighResolution))
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(path))
    doc.print_(printer)
    return path
