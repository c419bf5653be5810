"""The platform account (接入平台): address, the unit's token and account name, automatic upload.

One service for every caller — 系统 → 配置工具, ``epimanager sync config``, ``epimanager config
platform`` — with one address rule (https, or http only to this machine for the training
platform) and one permission: changing any of it needs 业务管理员 (``change_unit_config``), since
whoever sets the address decides where the clinic's personal data is sent. The token is stored
sealed (:mod:`epimanager.services.token_box`), never in clear in the database or its backups.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from epimanager.errors import EpiError, ValidationError
from epimanager.paths import local_dir_for
from epimanager.services import permissions, token_box
from epimanager.store.database import Database, get_config, set_config

log = logging.getLogger(__name__)

URL_KEY = "sync.url"
TOKEN_KEY = "sync.token"
USER_KEY = "platform.user"
INTERVAL_KEY = "sync.auto_interval_s"
BATCH_KEY = "sync.batch_size"
LAST_SUCCESS_KEY = "sync.last_success"
LAST_ERROR_KEY = "sync.last_error"
NEWBORNS_SINCE_KEY = "sync.newborns_since"

DEFAULT_INTERVAL = 300
DEFAULT_BATCH = 500

#: Hosts an ``http://`` address may name (the training platform on this machine).
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def check_url(url: str) -> str:
    """A platform URL: https, or http only to this machine (training / tests)."""
    u = url.strip().rstrip("/")
    parts = urlsplit(u)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(f"平台地址无效：{url}（应为 https://主机[:端口]）")
    if parts.scheme == "http" and parts.hostname not in LOOPBACK:
        raise ValidationError("平台地址必须使用 https（只有本机 127.0.0.1 的练习平台可用 http）")
    return u


def mask_token(token: str | None) -> str | None:
    if not token:
        return None
    return token[:2] + "…" + token[-2:] if len(token) > 6 else "…"


@dataclass(frozen=True)
class SyncSettings:
    url: str | None
    token: str | None
    #: automatic upload every N seconds when the platform is reachable; 0 = off
    interval_s: int = DEFAULT_INTERVAL
    batch_size: int = DEFAULT_BATCH
    #: the clinic's account name on the platform (配置工具)
    user: str | None = None

    @property
    def token_masked(self) -> str | None:
        return mask_token(self.token)

    def to_json(self) -> dict[str, object]:
        return {
            "url": self.url,
            "token": self.token_masked,
            "interval_s": self.interval_s,
            "batch_size": self.batch_size,
        }


def load_settings(db: Database) -> SyncSettings:
    with db.session() as s:
        url = get_config(s, URL_KEY)
        stored = get_config(s, TOKEN_KEY)
        interval = get_config(s, INTERVAL_KEY)
        batch = get_config(s, BATCH_KEY)
        user = get_config(s, USER_KEY)
    if stored and not token_box.is_sealed(stored):
        _seal_clear_token(db, stored)
    return SyncSettings(
        url=url or None,
        token=token_box.unseal(_key_anchor(db), stored),
        interval_s=int(interval) if interval else DEFAULT_INTERVAL,
        batch_size=int(batch) if batch else DEFAULT_BATCH,
        user=user or None,
    )


def _seal_clear_token(db: Database, stored: str) -> None:
    """A token an older version stored in clear is sealed the first time it is read."""
    try:
        with db.transaction() as s:
            if get_config(s, TOKEN_KEY) == stored:
                set_config(s, TOKEN_KEY, token_box.seal(_key_anchor(db), stored))
    except (EpiError, OSError) as exc:  # a read-only database or folder: sealed at the next save
        log.warning("clear platform token left as it is: %s", type(exc).__name__)


def save_settings(
    db: Database,
    *,
    url: str | None = None,
    token: str | None = None,
    user: str | None = None,
    interval_s: int | None = None,
    batch_size: int | None = None,
) -> SyncSettings:
    """Change the given settings (None = keep; "" clears the address, token or account name).

    Needs 业务管理员; a bad value is refused before anything is written.
    """
    if all(v is None for v in (url, token, user, interval_s, batch_size)):
        return load_settings(db)
    permissions.check(db, "change_unit_config")
    if interval_s is not None and interval_s < 0:
        raise ValidationError("自动上传间隔不能为负数（0 = 关闭）")
    if batch_size is not None and not 1 <= batch_size <= 2000:
        raise ValidationError("每批条数应在 1–2000 之间")
    clean_url = (check_url(url) if url.strip() else "") if url is not None else None
    with db.transaction() as s:
        if clean_url is not None:
            set_config(s, URL_KEY, clean_url)
        if token is not None:
            set_config(s, TOKEN_KEY, token_box.seal(_key_anchor(db), token.strip()))
        if user is not None:
            set_config(s, USER_KEY, user.strip())
        if interval_s is not None:
            set_config(s, INTERVAL_KEY, str(interval_s))
        if batch_size is not None:
            set_config(s, BATCH_KEY, str(batch_size))
    return load_settings(db)


def _key_anchor(db: Database) -> Path:
    """Where the token's key file sits: beside the database file; on a clinic server, in this desk's
    data folder (the key never goes onto the server with the token it opens)."""
    return db.path if db.server is None else local_dir_for(db.location) / "server"
