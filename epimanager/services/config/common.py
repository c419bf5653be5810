"""What the 配置工具 modules share: the ``app_config`` keys, reading one value, checking a folder."""

from __future__ import annotations

import tempfile
from pathlib import Path

from epimanager.errors import ValidationError
from epimanager.paths import read_location
from epimanager.store.database import Database, get_config

UNIT_YEAR_KEY = "config.unit_code_year"
BACKUP_DIR_KEY = "config.backup_dir"
INSTALL_ROOT_KEY = "config.install_root"
PLATFORM_URL_KEY = "sync.url"
PLATFORM_TOKEN_KEY = "sync.token"
PLATFORM_USER_KEY = "platform.user"
DB_FILE = "epimanager.sqlite"


def config_value(db: Database, key: str) -> str | None:
    with db.session() as s:
        return get_config(s, key) or None


def writable_dir(path: Path, what: str) -> Path:
    path = Path(path).expanduser().absolute()
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise ValidationError(f"{what}无法写入：{path}（{exc.strerror or exc}）") from exc
    return path


def previous_dirs() -> list[str]:
    value = read_location().get("previous", [])
    return [p for p in value if isinstance(p, str)] if isinstance(value, list) else []
