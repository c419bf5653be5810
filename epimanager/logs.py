"""Application log: rotating files in the data folder, personal data masked.

``setup_logging(data_dir)`` writes ``logs/epimanager.log`` (1 MB × 5 files) in
``data_dir``.  Services log child *codes*, never names, ID numbers or phone
numbers; :class:`PersonalDataFilter` masks them anyway should one slip in:
any run of Chinese characters (names, addresses), 18-character ID numbers (with a
valid birth date and GB 11643 check digit) and old 15-digit ones (valid date),
mobile numbers (also +86) and landlines (区号-号码), dates written out
(YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD: birth dates), Latin addresses (a number and
a Road/Street/Lu/Jie …), and names in Latin letters or pinyin: two or more
capitalised words in a row ("Zhang Wei", "Anna Müller") or one capitalised word
made of a common surname and one or two syllables ("Zhangwei").  Log messages are in English,
lower-case after their first word, so that the masking leaves them readable.
A log file that cannot be written (a full disk) is skipped silently: logging never
stops the program nor prints a traceback to the terminal.
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
_ID15 = re.compile(r"(?<![0-9A-Za-z])\d{6}\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?:\+?86[- ]?)?(?<!\d)1[3-9]\d{9}(?!\d)")
_LANDLINE = re.compile(r"(?<![\d-])0\d{2,3}[- ]?\d{7,8}(?![\d-])")
_DATE = re.compile(r"(?<!\d)(?:19|20)\d{2}([-/.])(?:0?[1-9]|1[0-2])\1(?:0?[1-9]|[12]\d|3[01])(?!\d)")
_ADDRESS = re.compile(
    r"\b(?:No\.\s*)?\d+[A-Za-z]?\s*,?\s+(?:[A-Z][\w'’-]*\s+){0,4}"
    r"(?:Road|Rd|Street|St|Avenue|Ave|Lane|Ln|Lu|Jie|Dao|Xiang|Hutong|Cun|Zhen|Xiaoqu|Building|Bldg)\b\.?",
)
_WORD = r"[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü'’-]+"
_NAME = re.compile(rf"\b{_WORD}(?:[ ·]{_WORD})+\b")
#: pinyin syllables that begin with an initial (the given-name part of "Zhangwei")
_SYLLABLE = (
    r"(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])"
    r"(?:iang|iong|uang|ang|eng|ing|ong|uai|ian|iao|uan|ai|ei|ao|ou|an|en|in|un|ua|uo|ie|ue|ui|ia|iu|a|o|e|i|u|v|ü)"
)
#: common surnames in pinyin (a single word such as "Zhangwei" or "Ouyangnana" is then a name)
_SURNAMES = (
    "Zhang|Wang|Li|Liu|Chen|Yang|Huang|Zhao|Wu|Zhou|Xu|Sun|Ma|Zhu|Hu|Guo|He|Gao|Lin|Luo|Zheng|Liang|Xie|Song|"
    "Tang|Han|Feng|Deng|Cao|Peng|Zeng|Xiao|Tian|Dong|Yuan|Pan|Yu|Jiang|Cai|Du|Ye|Cheng|Su|Wei|Lu|Ding|Ren|Shen|"
    "Yao|Lv|Jin|Fan|Fu|Qian|Shan|Xie|Ouyang|Sima|Zhuge|Shangguan|Situ"
)
_PINYIN = re.compile(rf"\b(?:{_SURNAMES})(?:{_SYLLABLE}){{1,2}}\b")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def _valid_id(text: str) -> bool:
    total = sum(int(c) * w for c, w in zip(text[:17], _WEIGHTS, strict=True))
    return _CHECK[total % 11] == text[17].upper()


def _mask_id(m: re.Match[str]) -> str:
    return "[ID]" if _valid_id(m.group(0)) else m.group(0)


def mask(text: str) -> str:
    """``text`` with Chinese runs, ID numbers, phone numbers, dates, addresses and Latin names replaced."""
    text = _ID.sub(_mask_id, text)
    text = _ID15.sub("[ID]", text)
    text = _MOBILE.sub("[PHONE]", text)
    text = _LANDLINE.sub("[PHONE]", text)
    text = _DATE.sub("[DATE]", text)
    text = _ADDRESS.sub("[ADDRESS]", text)
    text = _NAME.sub("[NAME]", text)
    text = _PINYIN.sub("[NAME]", text)
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


class _QuietFileHandler(logging.handlers.RotatingFileHandler):
    """A log file that cannot be written (a full disk) is skipped: no traceback on the terminal."""

    def handleError(self, record: logging.LogRecord) -> None:
        return None


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
        handler = _QuietFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8")
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
