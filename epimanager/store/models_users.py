"""Users of the clinic PC (系统管理员 / 业务管理员 / 普通用户) — the users issue."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from epimanager.store.models import Base


class AppUser(Base):
    """A login.  ``password_hash`` is a PHC-style string ``scrypt$n$r$p$salt$hash`` (never the password)."""

    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    #: the real name (王海生) written as 接种护士 on doses and prints; None: use ``name``
    display_name: Mapped[str | None] = mapped_column(String(50))
    role: Mapped[str] = mapped_column(String(10))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_count: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    last_login: Mapped[dt.datetime | None] = mapped_column(DateTime)
