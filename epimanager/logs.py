"""Application log: rotating files in the data folder, personal data masked.

``setup_logging(data_dir)`` writes ``logs/epimanager.log`` (1 MB × 5 files) in
``data_dir``.  Services log child *codes*, never names, ID numbers or phone
numbers; :class:`PersonalDataFilter` masks them anyway should one slip in:
any run of Chinese characters, 18-character ID numbers (with a valid birth date
and GB 11643 check digit) and 11-digit mobile numbers.  Log messages are in
English so that the masking leaves them readable.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
from pathlib import Path

LOG_NAME = "epimanager.log"
MAX_BYTES = 1 << 20
BACKUP_COUNT = 5
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef]+")
_ID = re.compile(
    r"(?<![0-9A-Za-z])\d{6}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])"
)
_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def _valid_id(text: str) -> bool:
    total = sum(int(c) * w for c, w in zip(text[:17], _WEIGHTS, strict=True))
    return _CHECK[total % 11] == text[17].upper()


def _mask_id(m: re.Match[str]) -> str:
    return "[ID]" if _valid_id(m.group(0)) else m.group(0)


def mask(text: str) -> str:
    """``text`` with Chinese runs, ID numbers and mobile numbers replaced by placeholders."""
    text = _ID.sub(_mask_id, text)
    text = _MOBILE.sub("[PHONE]", text)
    return _CJK.sub("＊", text)


class PersonalDataFilter(logging.Filter):
    """Masks personal data in the formatted message (and the exception text)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not lose the record
            message = str(record.msg)
        record.msg = mask(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        return True


class _State:
    handler: logging.Handler | None = None


def log_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "logs"


def setup_logging(data_dir: Path, level: int = logging.INFO) -> Path | None:
    """Send the ``epimanager`` loggers to ``<data_dir>/logs/epimanager.log``; returns its path.

    Idempotent (a second call moves the file to the new folder).  If the folder
    cannot be written the application runs without a log file (returns None).
    """
    path = log_dir(data_dir) / LOG_NAME
    logger = logging.getLogger("epimanager")
    if _State.handler is not None:
        if getattr(_State.handler, "baseFilename", None) == str(path.resolve()):
            return path
        shutdown_logging()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8"
        )
    except OSError:
        return None
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(PersonalDataFilter())
    logger.addHandler(handler)
    logger.setLevel(level)
    _State.handler = handler
    return path


def shutdown_logging() -> None:
    """Detach and close the file handler (tests, before moving the data folder)."""
    if _State.handler is not None:
        logging.getLogger("epimanager").removeHandler(_State.handler)
        _State.handler.close()
        _State.handler = None
