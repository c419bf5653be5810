"""Tables of the platform sync (issue 10): outbox, in-flight batches, ownership.

``sync_outbox`` holds one row per synchronised record (coalesced by UUID): its
latest local version and its sync state — ``pending`` → ``sending`` →
``sent`` / ``rejected`` (the visible dead-letter list) / ``dropped``.  Rows are
written in the same transaction as the change they describe.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from epimanager.store.models import Base


class SyncOutbox(Base):
    """Per-record sync state (one row per record UUID)."""

    __tablename__ = "sync_outbox"
    __table_args__ = (
        Index("ix_sync_outbox_state_id", "state", "id"),
        Index("ix_sync_outbox_batch_key", "batch_key"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    #: child | dose | status (an 在册情况 change event)
    kind: Mapped[str] = mapped_column(String(10))
    #: latest local version of the record
    version: Mapped[int] = mapped_column(Integer)
    #: pending | sending | sent | rejected | dropped
    state: Mapped[str] = mapped_column(String(10))
    #: idempotency key of the batch the record is in while ``sending``
    batch_key: Mapped[str | None] = mapped_column(String(36))
    sent_version: Mapped[int | None] = mapped_column(Integer)
    #: the platform's reason for a rejection
    reason: Mapped[str | None] = mapped_column(Text)
    #: JSON snapshot for event kinds (``status``); child and dose are read live at send time
    payload: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[datetime] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)


class SyncBatch(Base):
    """A batch claimed for upload and not yet answered: resent with the same key after a crash."""

    __tablename__ = "sync_batch"
    key: Mapped[str] = mapped_column(String(36), primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    records: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class SyncOwner(Base):
    """Records downloaded from the platform that another unit owns (read-only here)."""

    __tablename__ = "sync_owner"
    uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    owner_unit: Mapped[str] = mapped_column(String(10))
    fetched_at: Mapped[datetime] = mapped_column(DateTime)
