"""Check a folder of reference data (an upgrade's staged update) with the loaders the app uses.

An upgrade package's ``data/`` files are laid over the bundled reference data (file by file,
see :mod:`epimanager.resources`).  Before such an update is switched in, every file it brings
is read here the way the running program will read it — the vaccine catalog, the schedule
versions compiled into the engine together with that catalog (and a few forecasts run on
them), each year's unit-code list, any other JSON file — so invalid data is refused instead of
breaking ``dose add`` and the forecasts after the upgrade.  Files the program does not read
(notes, a README) pass as they are.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

from epimanager.domain.catalog import Catalog
from epimanager.domain.codes import Sex
from epimanager.errors import EpiError
from epimanager.resources import resources_dir
from epimanager.services.config.unit_codes import read_unit_code_file
from epimanager.services.consent_texts import check_texts
from epimanager.services.forecast import SCHEDULE_DIR, build_engine, load_schedule_data
from epimanager.services.recalls import DELIVERED_FILE, read_delivered

_UNIT_CODES = re.compile(r"^unit_codes/\d{4}\.csv$")


def _in(folders: list[Path], *parts: str) -> Path:
    """First folder that has ``parts`` (the update, then the bundled data), as the app looks."""
    for folder in folders:
        candidate = folder.joinpath(*parts)
        if candidate.exists():
            return candidate
    return folders[-1].joinpath(*parts)


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EpiError(f"{path.name} 不是有效的 UTF-8 JSON（{exc}）") from None


def load_catalog(path: Path) -> Catalog:
    try:
        return Catalog.from_dict(_json(path))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise EpiError(f"疫苗目录 {path.name} 有误：{exc}") from None


def check_reference_update(update: Path, files: list[str]) -> None:
    """Refuse (:class:`EpiError`, Chinese) if the update in ``update`` would give the app data it
    cannot use.  ``files``: the paths the update brings, relative to ``update``."""
    folders = [update, resources_dir()]
    cat = load_catalog(_in(folders, "vaccines.json"))
    raw = load_schedule_data(_in(folders, SCHEDULE_DIR))
    today = date.today()
    try:
        engine = build_engine(raw, cat)
        for born, sex in ((date(today.year - 1, 1, 15), Sex.MALE), (date(today.year - 13, 6, 1), Sex.FEMALE)):
            engine.forecast(born, today, [], sex.value)
    except EpiError:
        raise
    except Exception as exc:  # noqa: BLE001 - data from outside: any failure of the engine on it is a refusal
        raise EpiError(f"免疫程序数据有误：按新数据无法计算应种疫苗（{type(exc).__name__}: {exc}）") from None
    if any(name.startswith("consent/") for name in files):
        check_texts(folders)  # every 告知书 as the consent screen reads them
    for name in files:
        if _UNIT_CODES.match(name):
            if not read_unit_code_file(update / name):
                raise EpiError(f"单位编码表 {Path(name).name} 是空的")
        elif name == DELIVERED_FILE:  # the county's recall/lock list, read as the scan check reads it
            read_delivered((update / name).read_bytes())
        elif name.endswith(".json"):  # the catalog and schedules were read above; any other JSON must parse
            _json(update / name)
