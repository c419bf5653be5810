"""Errors of the machine, not of the program: a full disk, a read-only folder, a damaged database.

:func:`known_error` turns them into the :class:`~epimanager.errors.DatabaseError` (exit 4) a nurse
reads — "磁盘空间不足…" for ``ENOSPC`` / ``EDQUOT`` and SQLite's "database or disk is full" —
wherever they surface: the CLI's last ``except`` (:mod:`epimanager.cli.main`), the GUI's crash
handler and background worker (:mod:`epimanager.ui.crash`, :mod:`epimanager.ui.worker`). A bug
stays a bug (None).
"""

from __future__ import annotations

import errno
from pathlib import Path

from epimanager.errors import DatabaseError, EpiError

_FULL = (errno.ENOSPC, errno.EDQUOT)
_DRIVERS = ("sqlite3", "sqlalchemy", "psycopg")


def disk_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError):
        return exc.errno in _FULL
    return "disk is full" in str(getattr(exc, "orig", None) or exc).lower()


def disk_full_message(exc: BaseException | None = None) -> str:
    where = getattr(exc, "filename", None) if isinstance(exc, OSError) else None
    target = f"，无法写入 {Path(str(where)).name}" if where else ""
    return f"磁盘空间不足{target}：请清理磁盘（或换一个位置）后重试，未保存任何改动"


def known_error(exc: BaseException) -> EpiError | None:
    """The message for an error of the environment, or None for a bug."""
    if isinstance(exc, EpiError):
        return exc
    if disk_full(exc) and (isinstance(exc, OSError) or type(exc).__module__.split(".")[0] in _DRIVERS):
        return DatabaseError(disk_full_message(exc))
    if isinstance(exc, OSError):
        if exc.errno == errno.EROFS:
            return DatabaseError(f"文件夹是只读的，无法写入 {Path(str(exc.filename or '')).name}".rstrip())
        return None
    if type(exc).__module__.split(".")[0] in _DRIVERS:
        from epimanager.store.database import environment_message

        text = environment_message(exc)
        return DatabaseError(text) if text else None
    return None
