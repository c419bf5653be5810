"""The platform account: address, user and token (the token is never shown unmasked)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from epimanager.errors import ValidationError
from epimanager.services import permissions
from epimanager.services.config.common import PLATFORM_TOKEN_KEY, PLATFORM_URL_KEY, PLATFORM_USER_KEY, config_value
from epimanager.services.database import Database, set_config


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
    return PlatformSettings(
        config_value(db, PLATFORM_URL_KEY), config_value(db, PLATFORM_USER_KEY), config_value(db, PLATFORM_TOKEN_KEY)
    )


def check_platform_url(url: str) -> str:
    url = url.strip()
    if not re.match(r"^https?://[^\s/]+", url):
        raise ValidationError(f"平台地址应以 http:// 或 https:// 开头：{url}")
    return url.rstrip("/")


def set_platform(
    db: Database, *, url: str | None = None, user: str | None = None, token: str | None = None
) -> PlatformSettings:
    """Change the given platform settings (None = keep, "" = clear)."""
    permissions.check(db, None, "change_unit_config")
    with db.transaction() as s:
        if url is not None:
            set_config(s, PLATFORM_URL_KEY, check_platform_url(url) if url.strip() else "")
        if user is not None:
            set_config(s, PLATFORM_USER_KEY, user.strip())
        if token is not None:
            set_config(s, PLATFORM_TOKEN_KEY, token.strip())
    return platform_settings(db)
