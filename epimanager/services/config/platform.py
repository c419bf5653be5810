"""The platform account as the 配置工具 shows it: address, account name and token (never shown unmasked).

One service owns these settings and their rules: :mod:`epimanager.services.platform` (one address
rule, 业务管理员 to change them). This module is its view for the configuration tool.
"""

from __future__ import annotations

from dataclasses import dataclass

from epimanager.services.platform import check_url, load_settings, save_settings
from epimanager.store.database import Database

#: The one address rule (https, or http only to this machine).
check_platform_url = check_url


@dataclass(frozen=True)
class PlatformSettings:
    url: str | None
    user: str | None
    token: str | None

    @property
    def token_masked(self) -> str | None:
        if not self.token:
            return None
        return "已设置（" + "*" * 6 + "）"


def platform_settings(db: Database) -> PlatformSettings:
    st = load_settings(db)
    return PlatformSettings(st.url, st.user, st.token)


def set_platform(
    db: Database, *, url: str | None = None, user: str | None = None, token: str | None = None
) -> PlatformSettings:
    """Change the given platform settings (None = keep, "" = clear); needs 业务管理员."""
    save_settings(db, url=url, user=user, token=token)
    return platform_settings(db)
