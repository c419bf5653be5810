"""Signed upgrade packages: build, verify, apply (staged, atomic, rolled back on failure).

Qt-free; used by ``epimanager upgrade …`` and by ``epimanager.ui.upgrade_dialog``.
"""
