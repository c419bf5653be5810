"""知情告知 and consent: the 告知书 texts as shown (frozen) and each guardian's consent."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from epimanager.store.models import Base


class ConsentText(Base):
    """A 告知书 exactly as it was shown: stored the first time a consent uses it and never changed,
    so a later version of the text (an upgrade) leaves every stored consent with its own text."""

    __tablename__ = "consent_text"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    text_key: Mapped[str] = mapped_column(String(40))
    version: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    generic: Mapped[bool] = mapped_column(Boolean, default=False)


class Consent(Base):
    """The guardian's consent for one vaccine of a child on one day (同意 / 不同意 / 到点再议).

    A 不同意 row is the not-given record (with its reason); it is exported as a FHIR Immunization
    with ``status = not-done``.  ``strokes`` is the signature as JSON vectors and ``png`` its
    picture (both empty for 纸质签字); ``signature_hash`` ties them to the text, child and order.
    ``version`` is checked on every update (SQLAlchemy ``version_id_col``).
    """

    __tablename__ = "consent"
    __table_args__ = (
        UniqueConstraint("child_id", "day", "vaccine_code", name="uq_consent_child_day_vaccine"),
        Index("ix_consent_day", "day"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id", ondelete="CASCADE"))
    day: Mapped[dt.date] = mapped_column(Date)
    vaccine_code: Mapped[str] = mapped_column(String(4))
    dose_number: Mapped[int | None] = mapped_column(Integer)
    ticket: Mapped[str | None] = mapped_column(String(8))
    choice: Mapped[str] = mapped_column(String(4))
    paper: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(String(200))
    text_id: Mapped[int] = mapped_column(ForeignKey("consent_text.id"))
    strokes: Mapped[str | None] = mapped_column(Text)
    png: Mapped[bytes | None] = mapped_column(LargeBinary)
    signature_hash: Mapped[str] = mapped_column(String(64))
    operator: Mapped[str | None] = mapped_column(String(50))
    desk: Mapped[str | None] = mapped_column(String(40))
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
