"""Platform settings: the one service is :mod:`epimanager.services.platform` (names kept here for the sync code)."""

from epimanager.services.platform import (
    BATCH_KEY,
    DEFAULT_BATCH,
    DEFAULT_INTERVAL,
    INTERVAL_KEY,
    LAST_ERROR_KEY,
    LAST_SUCCESS_KEY,
    NEWBORNS_SINCE_KEY,
    TOKEN_KEY,
    URL_KEY,
    SyncSettings,
    load_settings,
    save_settings,
)

__all__ = [
    "BATCH_KEY",
    "DEFAULT_BATCH",
    "DEFAULT_INTERVAL",
    "INTERVAL_KEY",
    "LAST_ERROR_KEY",
    "LAST_SUCCESS_KEY",
    "NEWBORNS_SINCE_KEY",
    "TOKEN_KEY",
    "URL_KEY",
    "SyncSettings",
    "load_settings",
    "save_settings",
]
