"""Moved to :mod:`epimanager.store.outbox` (change capture is storage); kept while imports move over."""

from epimanager.store.outbox import (
    DROPPED,
    PENDING,
    REJECTED,
    REMOTE_APPLY,
    SENDING,
    SENT,
    STATES,
    UPSERT_SQL,
    enqueue_rows,
    install_outbox,
    outbox_rows,
)

__all__ = [
    "DROPPED",
    "PENDING",
    "REJECTED",
    "REMOTE_APPLY",
    "SENDING",
    "SENT",
    "STATES",
    "UPSERT_SQL",
    "enqueue_rows",
    "install_outbox",
    "outbox_rows",
]
