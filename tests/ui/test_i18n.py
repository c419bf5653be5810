"""Chinese is the source; the English catalog is built from it and selectable in settings."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest
from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication

from epimanager.resources import resource_path
from epimanager.settings import Language
from epimanager.ui import i18n
from epimanager.ui.actions import ActionId
from epimanager.ui.main_window import MainWindow


@pytest.fixture
def back_to_chinese(qapp: QApplication) -> Iterator[None]:
    yield
    i18n.install(qapp, Language.ZH_CN)


def test_english_catalog_is_built_and_complete() -> None:
    ts = resource_path("i18n", "epimanager_en.ts").read_text(encoding="utf-8")
    assert resource_path("i18n", "epimanager_en.qm").stat().st_size > 1000
    assert 'type="unfinished"' not in ts


def test_switching_to_english_in_settings(
    qapp: QApplication, make_window: Callable[[], MainWindow], back_to_chinese: None
) -> None:
    w = make_window()
    assert w.registry[ActionId.QUICK_SEARCH].text() == "快速查询(&F)"
    w.update_settings(replace(w.settings, language=Language.EN))
    assert QCoreApplication.translate("Actions", "新建儿童(&N)") == "&New child"
    assert w.registry[ActionId.QUICK_SEARCH].text() == "Quick search (&F)"
    assert w.toolbar.widgetForAction(w.registry[ActionId.QUICK_SEARCH]).text() == "Quick search\nF3"
    # a window opened in English shows English everywhere
    again = make_window()
    assert again.grid.heading.text() == "Vaccination"
    assert again.panel.model.index(again.panel.model.row_of("name"), 0).data() == "Name"
