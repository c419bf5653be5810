"""Shared fixtures: real SQLite files in tmp dirs (never the user's data dir)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.pop("EPIMANAGER_DB", None)

from epimanager.services.units import init_database
from epimanager.store.database import Database, open_database

UNIT = "3201020101"
UNIT_NAME = "玄武区测试社区卫生服务中心预防接种门诊"
COMMITTEES = ("东风村", "红旗村", "城关社区")


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the default data directory at a temp folder for every test."""
    monkeypatch.setenv("EPIMANAGER_DATA_DIR", str(tmp_path_factory.mktemp("datadir")))


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A freshly initialised database file for unit 3201020101 with three 区域划分."""
    path = tmp_path / "epi.sqlite"
    init_database(path, UNIT, UNIT_NAME, list(COMMITTEES))
    return path


@pytest.fixture
def db(db_path: Path) -> Iterator[Database]:
    database = open_database(db_path)
    yield database
    database.close()
