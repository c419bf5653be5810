"""The main window (the desktop-client issue grows it into 日常接种)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QVBoxLayout, QWidget

from epimanager import __version__
from epimanager.services.database import Database
from epimanager.services.summary import summary
from epimanager.services.units import unit_info


class MainWindow(QMainWindow):
    def __init__(self, db: Database) -> None:
        super().__init__()
        self.db = db
        info = unit_info(db)
        self.setWindowTitle(self.tr("EpiManager 儿童预防接种信息管理系统 · %1").replace("%1", info.name))
        self.resize(1100, 720)
        central = QWidget()
        layout = QVBoxLayout(central)
        self.summary = QLabel()
        self.summary.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.summary)
        self.setCentralWidget(central)
        quit_action = QAction(self.tr("退出(&X)"), self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        self.menuBar().addMenu(self.tr("系统(&S)")).addAction(quit_action)
        self.unit_label = QLabel(self.tr("单位：%1 %2").replace("%1", info.code).replace("%2", info.name))
        self.db_label = QLabel(self.tr("数据库：%1").replace("%1", str(db.path)))
        self.statusBar().addWidget(self.unit_label)
        self.statusBar().addPermanentWidget(self.db_label)
        self.refresh()

    def refresh(self) -> None:
        counts = summary(self.db)
        self.summary.setText(
            self.tr("EpiManager %1\n\n儿童个案 %2 人（本单位管理 %3 人），接种记录 %4 条")
            .replace("%1", __version__)
            .replace("%2", f"{counts.children:,}")
            .replace("%3", f"{counts.managed:,}")
            .replace("%4", f"{counts.doses:,}")
        )
