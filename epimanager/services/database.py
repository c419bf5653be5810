"""Moved to :mod:`epimanager.store.database` (the store owns storage); kept while imports move over."""

from epimanager.store.database import OWN_UNIT_KEY, Database, get_config, open_database, set_config

__all__ = ["OWN_UNIT_KEY", "Database", "get_config", "open_database", "set_config"]
