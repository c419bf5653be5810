"""The 医学建议书 (暂缓/禁忌接种通知) a 预检 prints for the guardian: child, temperature, the health
answers that were 是, each vaccine 暂缓 until a date or 禁忌 with the reason, clinic, date and the
nurse — HTML into the documents' Qt print path (a printer or PDF)."""

from __future__ import annotations

from datetime import date
from html import escape

from PySide6.QtCore import QCoreApplication

from epimanager.domain import precheck as dp
from epimanager.services.precheck import PrecheckRecord

_STYLE = """
h1 { font-size: 17pt; text-align: center; margin: 0 0 2px 0; }
p.sub { text-align: center; font-size: 11pt; margin: 0 0 10px 0; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #444; padding: 4px 6px; font-size: 10.5pt; }
th { background: #e8e8e8; }
td.k { background: #f4f4f4; width: 16%; }
p { font-size: 10.5pt; }
p.foot { margin-top: 16px; }
"""


#: a cell never broken across lines (Qt's table layout honours white-space on the cell)
_NOWRAP = 'style="white-space: nowrap; border: 1px solid #444"'


def tr(text: str) -> str:
    return QCoreApplication.translate("Precheck", text)


def _word(o: dp.VaccineOutcome) -> str:
    if o.outcome is dp.Outcome.DEFER and o.until is not None:
        return tr("暂缓，%1 起可接种").replace("%1", o.until.isoformat())
    if o.outcome is dp.Outcome.CONTRA:
        return tr("禁忌（须医生出具意见）")
    return tr("可接种")


def _rows(record: PrecheckRecord) -> list[tuple[str, str, str]]:
    rows = [(o.name, _word(o), "；".join(o.reasons)) for o in record.outcomes if o.outcome is not dp.Outcome.OK]
    shown = {o.code for o in record.outcomes}
    others = [d for d in record.deferrals if d.vaccine_code not in shown]
    if others:
        grouped: dict[tuple[str, str], int] = {}
        for d in others:
            word = (
                tr("暂缓，%1 起可接种").replace("%1", d.until.isoformat())
                if d.until is not None and not d.contraindicated
                else tr("禁忌（须医生出具意见）")
            )
            grouped[(word, d.reason)] = grouped.get((word, d.reason), 0) + 1
        for (word, reason), n in grouped.items():
            rows.append((tr("其他疫苗（%1种）").replace("%1", str(n)), word, reason))
    return rows


def slip_html(record: PrecheckRecord, birth_date: date, unit_name: str) -> str:
    """The slip as HTML (A4, printed through :mod:`epimanager.ui.print.documents`)."""
    ticket = tr("（%1 号）").replace("%1", record.ticket) if record.ticket else ""
    info = (
        '<table width="100%" cellspacing="0" cellpadding="4">'
        f'<tr><td class="k">{escape(tr("儿童姓名"))}</td><td>{escape(record.child_name)}{escape(ticket)}</td>'
        f'<td class="k">{escape(tr("儿童编码"))}</td><td>{escape(record.child_code)}</td></tr>'
        f'<tr><td class="k">{escape(tr("出生日期"))}</td><td>{birth_date.isoformat()}</td>'
        f'<td class="k">{escape(tr("预检体温"))}</td><td>{record.temperature:.1f} °C</td></tr>'
        "</table>"
    )
    yes = [f"{a.number}. {a.text}" + (f"（{a.detail}）" if a.detail else "") for a in record.positive]
    answers = "<p><b>" + escape(tr("健康询问答“是”：")) + "</b>" + escape("；".join(yes) or tr("无")) + "</p>"
    titles = (tr("疫苗"), tr("医学建议"), tr("原因"))
    head = "".join(f'<th width="{w}">{escape(h)}</th>' for w, h in zip(("20%", "32%", "48%"), titles, strict=True))
    body = "".join(
        f"<tr><td {_NOWRAP}>{escape(v)}</td><td {_NOWRAP}><b>{escape(w)}</b></td><td>{escape(r)}</td></tr>"
        for v, w, r in _rows(record)
    )
    table = f'<table width="100%" cellspacing="0" cellpadding="4"><tr>{head}</tr>{body}</table>'
    advice = escape(
        tr("请于上述日期后携带儿童和预防接种证到本接种单位补种。")
        + tr("禁忌接种的疫苗，须经医生诊断并出具书面意见后方可接种。如有疑问请咨询接种单位。")
    )
    foot = (
        f'<p class="foot">{escape(tr("接种单位："))}{escape(unit_name)}　　'
        f"{escape(tr('预检人员：'))}{escape(record.operator or '')}　　"
        f"{escape(tr('日期：'))}{record.day.isoformat()}</p>"
        f"<p>{escape(tr('监护人签字：'))}______________　　"
        f"{escape(tr('问卷版本：'))}{escape(record.question_version)}</p>"
    )
    return (
        f"<html><head><style>{_STYLE}</style></head><body>"
        f"<h1>{escape(tr('医学建议书'))}</h1>"
        f'<p class="sub">{escape(tr("（暂缓/禁忌接种通知）"))}</p>'
        f"{info}{answers}{table}<p>{advice}</p>{foot}</body></html>"
    )
