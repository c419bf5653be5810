"""The county's recall/lock list (召回/封存批号): batches that must not be given."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from epimanager.store.models import Base, new_uuid


class BatchRecall(Base):
    """One recall (召回) or lock (封存) of a batch, and when it was lifted (解除).

    ``vaccine_code`` and ``manufacturer`` are optional: an entry without them stops the batch
    number whatever its product.  ``source_key`` names an entry delivered by an upgrade package
    (``recalls.json``), so that installing the same list again adds nothing.  ``version`` is
    checked on every update (a lift from a stale list is refused).
    """

    __tablename__ = "batch_recall"
    __table_args__ = (
        Index("ix_batch_recall_batch_no", "batch_no"),
        UniqueConstraint("source_key", name="uq_batch_recall_source_key"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    #: upper case, no surrounding blanks (as stock batches)
    batch_no: Mapped[str] = mapped_column(String(40))
    vaccine_code: Mapped[str | None] = mapped_column(String(4))
    manufacturer: Mapped[str | None] = mapped_column(String(100))
    #: recall 召回 / lock 封存
    kind: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str | None] = mapped_column(String(50))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    #: where it came from: 本地录入, or the upgrade package's version
    source: Mapped[str] = mapped_column(String(40))
    source_key: Mapped[str | None] = mapped_column(String(80))
    lifted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    lifted_by: Mapped[str | None] = mapped_column(String(50))
    lift_reason: Mapped[str | None] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
