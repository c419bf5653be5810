"""``epimanager forecast``: evaluate a child's doses and forecast the next ones."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from epimanager.cli.common import date_arg, open_database, print_json
from epimanager.errors import EpiError, ValidationError

if TYPE_CHECKING:
    from epimanager.domain.schedule import Forecast


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``forecast`` subcommand."""
    p = sub.add_parser(
        "forecast",
        help="接种评价与应种预测（按免疫程序）",
        description=(
            "评价儿童已种剂次（及时/合格/超期/首针提前/间短）并预测各疫苗系列的下一剂："
            "最早可种日期、应完成日期和状态（complete/not_yet/due/overdue/aged_out）。"
        ),
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument(
        "--case",
        metavar="FILE",
        help="病例 JSON 文件（出生日期、性别、接种记录；可选 mother_hbsag、birth_weight_g、immunoglobulin）",
    )
    src.add_argument("--child", metavar="CODE", help="数据库中的儿童编码")
    p.add_argument("--on", type=date_arg, metavar="YYYY-MM-DD", help="预测日期（默认：病例的 as_of 或今天）")
    add_preference_option(p)
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.set_defaults(handler=run)


def add_preference_option(p: argparse.ArgumentParser) -> None:
    """``--prefer SERIES=TRACK`` (the unit's default product for a series)."""
    p.add_argument(
        "--prefer",
        action="append",
        default=[],
        metavar="SERIES=TRACK",
        help="本单位默认品种，可重复，如 --prefer JE=JE-I --prefer HepA=HepA-I（默认 JE-L、HepA-L）",
    )


def parse_preferences(items: list[str]) -> dict[str, str]:
    """``["JE=JE-I"]`` → ``{"JE": "JE-I"}``."""
    prefs: dict[str, str] = {}
    for item in items:
        series, sep, track = item.partition("=")
        if not sep or not series.strip() or not track.strip():
            raise ValidationError(f"--prefer 格式应为 系列=品种，如 JE=JE-I：“{item}”")
        prefs[series.strip()] = track.strip()
    return prefs


def run(args: argparse.Namespace) -> int:
    """Forecast a case file or a stored child and print it."""
    from epimanager.services.forecast import forecast_case, forecast_child, forecast_json

    prefs = parse_preferences(args.prefer)
    if args.case:
        try:
            data = json.loads(Path(args.case).read_text(encoding="utf-8-sig"))
        except OSError as e:
            raise EpiError(f"无法读取病例文件 {args.case}：{e.strerror}") from None
        except json.JSONDecodeError as e:
            raise EpiError(f"病例文件不是有效的 JSON（第{e.lineno}行）：{args.case}") from None
        fc = forecast_case(data, args.on, prefs)
    else:
        db = open_database(args)
        try:
            fc = forecast_child(db, args.child, args.on, prefs)
        finally:
            db.close()
    if args.json:
        print_json(forecast_json(fc))
    else:
        print(format_text(fc))
    return 0


#: status value (SeriesStatus) → label; by value so that building the parser never loads the engine
_STATUS = {
    "complete": "已完成",
    "not_yet": "未到期",
    "due": "应种",
    "overdue": "超期",
    "aged_out": "超龄",
    "deferred": "暂缓",
    "contraindicated": "禁忌",
}


def format_text(fc: Forecast) -> str:
    from epimanager.domain.schedule import SeriesStatus

    """A plain-text summary for the console."""
    from epimanager.services.forecast import forecast_json

    data = forecast_json(fc)
    lines = [
        f"预测日期 {data['as_of']}　免疫程序 {data['schedule']}",
        "",
        "系列　　下一剂　疫苗　　最早日期　　应完成日期　状态",
    ]
    for s in data["series"]:
        lines.append(
            f"{s['series']:<8}{s['next_dose'] or '-':<6}{s['vaccine'] or '-':<8}"
            f"{s['earliest'] or '-':<12}{s['complete_before'] or '-':<12}{_STATUS[SeriesStatus(s['status']).value]}"
        )
        lines.extend(f"　　注：{note}" for note in s["notes"])
    if data["doses"]:
        lines += ["", "接种记录评价"]
        for d in data["doses"]:
            number = f"第{d['dose_number']}剂" if d["dose_number"] else "不计剂次"
            lines.append(f"{d['date']}  {d['vaccine']:<12}{d['series'] or '-':<8}{number:<6}{d['evaluation'] or ''}")
            if d["note"]:
                lines.append(f"　　注：{d['note']}")
    return "\n".join(lines)
