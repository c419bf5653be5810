"""Platform settings kept in ``app_config`` (URL, the unit's token, automatic upload)."""

from __future__ import annotations

from dataclasses import dataclass

from epimanager.errors import ValidationError
from epimanager.services.database import Database, get_config, set_config
from epimanager.sync.client import check_url

URL_KEY = "sync.url"
TOKEN_KEY = "sync.token"
INTERVAL_KEY = "sync.auto_interval_s"
BATCH_KEY = "sync.batch_size"
LAST_SUCCESS_KEY = "sync.last_success"
LAST_ERROR_KEY = "sync.last_error"
NEWBORNS_SINCE_KEY = "sync.newborns_since"

DEFAULT_INTERVAL = 300
DEFAULT_BATCH = 500


@dataclass(frozen=True)
class SyncSettings:
    url: str | None
    token: str | None
    #: automatic upload every N seconds when the platform is reachable; 0 = off
    interval_s: int = DEFAULT_INTERVAL
    batch_size: int = DEFAULT_BATCH

    def to_json(self) -> dict[str, object]:
        masked = None
        if self.token:
            masked = self.token[:2] + "…" + self.token[-2:] if len(self.token) > 6 else "…"
        return {"url": self.url, "token": masked, "interval_s": self.interval_s, "batch_size": self.batch_size}


def load_settings(db: Database) -> SyncSettings:
    with db.session() as s:
        url = get_config(s, URL_KEY)
        token = get_config(s, TOKEN_KEY)
        interval = get_config(s, INTERVAL_KEY)
        batch = get_config(s, BATCH_KEY)
    return SyncSettings(
        url=url or None,
        token=token or None,
        interval_s=int(interval) if interval else DEFAULT_INTERVAL,
        batch_size=int(batch) if batch else DEFAULT_BATCH,
    )


def save_settings(
    db: Database,
    *,
    url: str | None = None,
    token: str | None = None,
    interval_s: int | None = None,
    batch_size: int | None = None,
) -> SyncSettings:
    """Change the given settings (None = keep)."""
    if interval_s is not None and interval_s < 0:
        raise ValidationError("自动上传间隔不能为负数（0 = 关闭）")
    if batch_size is not None and not 1 <= batch_size <= 2000:
        raise ValidationError("每批条数应在 1–2000 之间")
    with db.transaction() as s:
        if url is not None:
            set_config(s, URL_KEY, check_url(url))
        if token is not None:
            set_config(s, TOKEN_KEY, token.strip())
        if interval_s is not None:
            set_config(s, INTERVAL_KEY, str(interval_s))
        if batch_size is not None:
            set_config(s, BATCH_KEY, str(batch_size))
    return load_settings(db)
