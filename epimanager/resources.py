"""Locate and load reference data shipped in ``resources/``.

Order: ``EPIMANAGER_RESOURCES`` (a folder), a PyInstaller bundle's
``resources/``, then the source tree's top-level ``resources/``.
"""

from __future__ import annotations

import json
import os
import sys
from functools import cache
from pathlib import Path
from typing import Any

from epimanager.domain.catalog import Catalog


def resources_dir() -> Path:
    env = os.environ.get("EPIMANAGER_RESOURCES")
    if env:
        return Path(env)
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource_path(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)


def load_json(*parts: str) -> Any:
    with resource_path(*parts).open(encoding="utf-8") as f:
        return json.load(f)


@cache
def catalog() -> Catalog:
    """The bundled vaccine catalog (loaded once per process)."""
    return Catalog.from_dict(load_json("vaccines.json"))
