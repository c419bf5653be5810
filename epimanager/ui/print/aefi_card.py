"""The printed 疑似预防接种异常反应个案报告卡: one A4 page, the form's sections, a signature line.

Built from :func:`epimanager.services.aefi_export.card_rows` (the same rows as the xlsx), printed
through Qt's print dialog or written to a PDF (:mod:`epimanager.ui.print.documents`).
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from PySide6.QtCore import QCoreApplication

from epimanager.services.aefi_export import SECTIONS, TITLE, card_rows
from epimanager.services.aefi_records import AefiRecord

_STYLE = """
h1 { font-size: 15pt; text-align: center; margin: 0 0 2px 0; }
p.sub { text-align: center; margin: 0 0 8px 0; font-size: 9pt; }
table { border-collapse: collapse; width: 100%; }
td { border: 1px solid #333; padding: 3px 5px; font-size: 9.5pt; vertical-align: top; }
td.k { width: 26%; background: #f2f2f2; }
td.s { background: #d9d9d9; font-weight: bold; }
p.sign { margin-top: 14px; font-size: 10pt; }
p.note { font-size: 8.5pt; color: #333; }
"""


def tr(text: str) -> str:
    return QCoreApplication.translate("Print", text)


def card_html(case: AefiRecord, unit_name: str, now: datetime | None = None) -> str:
    rows = []
    for label, value in card_rows(case, unit_name, now):
        if label in SECTIONS:
            rows.append(f'<tr><td class="s" colspan="2">{escape(label)}</td></tr>')
        else:
            rows.append(f'<tr><td class="k">{escape(label)}</td><td>{escape(value)}</td></tr>')
    printed = (now or datetime.now()).strftime("%Y-%m-%d %H:%M")
    sub = tr("报告单位：%1　打印时间：%2").replace("%1", unit_name).replace("%2", printed)
    sign = tr("报告人（签字）：＿＿＿＿＿＿　报告单位（盖章）：＿＿＿＿＿＿　日期：＿＿＿＿＿＿")
    note = tr(
        "依据《全国疑似预防接种异常反应监测方案》：死亡、严重、群体性 AEFI 发现后 2 小时内报告；"
        "其他 AEFI 发现后 48 小时内填写个案报告卡并网络直报。"
    )
    return (
        f"<html><head><style>{_STYLE}</style></head><body>"
        f"<h1>{escape(TITLE)}</h1>"
        f'<p class="sub">{escape(sub)}</p>'
        f'<table width="100%" border="1" cellspacing="0" cellpadding="3">{"".join(rows)}</table>'
        f'<p class="sign">{escape(sign)}</p>'
        f'<p class="note">{escape(note)}</p>'
        "</body></html>"
    )
