"""Where the data lives: platformdirs by default, overridable.

Precedence for the database file: ``--db PATH`` > ``EPIMANAGER_DB`` > the data
folder / ``epimanager.sqlite``.  The data folder is ``EPIMANAGER_DATA_DIR``, else
the folder chosen in the configuration tool (``location.json`` in the user
config folder), else the user data directory (``platformdirs``).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from platformdirs import user_config_path, user_data_path

from epimanager.errors import ValidationError

APP_NAME = "EpiManager"


def config_dir() -> Path:
    env = os.environ.get("EPIMANAGER_CONFIG_DIR")
    return Path(env) if env else user_config_path(APP_NAME, appauthor=False)


def location_file() -> Path:
    """Where the configuration tool records a data folder chosen by the user."""
    return config_dir() / "location.json"


def read_location() -> dict[str, object]:
    try:
        raw = json.loads(location_file().read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    return raw if isinstance(raw, dict) else {}


def configured_data_dir() -> Path | None:
    """The data folder chosen in the configuration tool (None = the default)."""
    value = read_location().get("data_dir")
    return Path(value) if isinstance(value, str) and value else None


def data_dir() -> Path:
    env = os.environ.get("EPIMANAGER_DATA_DIR")
    if env:
        return Path(env)
    return configured_data_dir() or user_data_path(APP_NAME, appauthor=False)


_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+)://")
_SERVER_SCHEMES = {"postgresql", "postgres", "postgresql+psycopg"}


@dataclass(frozen=True)
class ServerUrl:
    """A clinic-server database (PostgreSQL), e.g. ``postgresql://epim@192.168.1.10:5432/epimanager``."""

    url: str  # always postgresql+psycopg://… (the driver SQLAlchemy uses)

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or "localhost"

    @property
    def port(self) -> int:
        return urlsplit(self.url).port or 5432

    @property
    def dbname(self) -> str:
        return urlsplit(self.url).path.lstrip("/") or "postgres"

    def __str__(self) -> str:
        """The address without its password (for messages, titles and logs)."""
        parts = urlsplit(self.url)
        netloc = parts.netloc
        if parts.password is not None:
            netloc = netloc.replace(":" + parts.password + "@", ":***@", 1)
        return urlunsplit(("postgresql", netloc, parts.path, parts.query, ""))


#: Where a clinic's data lives: a SQLite file (standalone) or a server database.
DbLocation = Path | ServerUrl


def parse_db(value: str | os.PathLike[str]) -> DbLocation:
    """A ``--db`` / ``EPIMANAGER_DB`` value: a ``postgresql://`` address or a file path.

    An address is never taken as a file path; any other ``scheme://`` is refused.
    """
    text = os.fspath(value)
    match = _SCHEME.match(text)
    if match is None:
        return Path(text)
    scheme = match.group(1).lower()
    if scheme not in _SERVER_SCHEMES:
        raise ValidationError(
            f"不支持的数据库地址：{scheme}://…（请给出数据库文件路径，或 postgresql://用户@主机:端口/数据库）"
        )
    parts = urlsplit(text)
    if not parts.hostname or not parts.path.strip("/"):
        raise ValidationError("数据库服务器地址不完整：需要 postgresql://用户@主机:端口/数据库名")
    return ServerUrl(urlunsplit(("postgresql+psycopg", parts.netloc, parts.path, parts.query, "")))


def default_db_path() -> DbLocation:
    """``EPIMANAGER_DB``; else the clinic server chosen in the configuration tool; else the data folder's file."""
    env = os.environ.get("EPIMANAGER_DB")
    if env:
        return parse_db(env)
    server = read_location().get("server")
    if isinstance(server, str) and server:
        return parse_db(server)
    return data_dir() / "epimanager.sqlite"


def resolve_db_path(cli_value: str | os.PathLike[str] | None) -> DbLocation:
    if cli_value:
        return parse_db(cli_value)
    return default_db_path()


def local_dir_for(location: DbLocation) -> Path:
    """The folder on this PC for a database's log file and backups: beside a SQLite file; the data
    folder for a server database."""
    return location.parent if isinstance(location, Path) else data_dir()


def backup_dir_for(location: DbLocation) -> Path:
    """Backups sit next to the database (``backups/``), or in the data folder for a server."""
    return local_dir_for(location) / "backups"
