"""The whole configuration as one record (what ``config show`` and the 配置工具 show)."""

from __future__ import annotations

from dataclasses import dataclass

from epimanager.paths import local_dir_for
from epimanager.services.config.common import UNIT_YEAR_KEY, config_value
from epimanager.services.config.folders import backup_dir, configured_install_root
from epimanager.services.config.platform import platform_settings
from epimanager.services.units import unit_info
from epimanager.store.database import OWN_UNIT_KEY, Database


@dataclass(frozen=True)
class ConfigRecord:
    unit_code: str | None
    unit_name: str | None
    unit_code_year: int | None
    committees: tuple[str, ...]
    db_path: str
    data_dir: str
    backup_dir: str
    install_root: str | None
    platform_url: str | None
    platform_user: str | None
    platform_token: str | None  # masked

    def to_json(self) -> dict[str, object]:
        return dict(self.__dict__)


def show_config(db: Database) -> ConfigRecord:
    own = config_value(db, OWN_UNIT_KEY)
    info = unit_info(db) if own else None
    year = config_value(db, UNIT_YEAR_KEY)
    platform = platform_settings(db)
    root = configured_install_root(db)
    return ConfigRecord(
        unit_code=own,
        unit_name=info.name if info else None,
        unit_code_year=int(year) if year else None,
        committees=info.committees if info else (),
        db_path=str(db.location),
        data_dir=str(local_dir_for(db.location)),
        backup_dir=str(backup_dir(db)),
        install_root=str(root) if root else None,
        platform_url=platform.url,
        platform_user=platform.user,
        platform_token=platform.token_masked,
    )
