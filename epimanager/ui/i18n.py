"""Translations: Chinese is the source language; English comes from resources/i18n/*.qm.

``pyside6-lupdate`` extracts the strings (``scripts/i18n``), ``pyside6-lrelease``
builds the ``.qm`` files.  Qt's own strings (standard dialogs) use the
translations shipped with PySide6.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from epimanager.resources import resource_path
from epimanager.settings import Language

_installed: list[QTranslator] = []


def QT_TRANSLATE_NOOP(context: str, source: str) -> str:
    """Mark ``source`` for translation in ``context`` and return it unchanged (translated later by
    ``QCoreApplication.translate``).  PySide6's own function is typed ``-> object``; this one keeps ``str``."""
    return source


def install(app: QCoreApplication, language: Language) -> bool:
    """Install the translators for ``language`` (replacing earlier ones); False if a catalog is missing."""
    for t in _installed:
        app.removeTranslator(t)
    _installed.clear()
    ok = True
    qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    qt = QTranslator(app)
    if qt.load(f"qtbase_{language.value}", qt_dir):
        app.installTranslator(qt)
        _installed.append(qt)
    QLocale.setDefault(QLocale(language.value))
    if language is not Language.ZH_CN:
        own = QTranslator(app)
        if own.load(f"epimanager_{language.value}", str(resource_path("i18n"))):
            app.installTranslator(own)
            _installed.append(own)
        else:
            ok = False
    return ok
