"""Helpers shared by the subcommands."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from epimanager.domain.dates import parse_date
from epimanager.errors import ValidationError
from epimanager.paths import resolve_db_path

if TYPE_CHECKING:
    from epimanager.store.database import Database


def open_database(args: argparse.Namespace, *, create: bool = False) -> Database:
    """Open the database named by ``--db`` / ``EPIMANAGER_DB`` / the default location, for the ``--user`` logged in."""
    from epimanager.services.backup import clean_leftovers
    from epimanager.store.database import open_database as _open

    db = _open(resolve_db_path(getattr(args, "db", None)), create=create)
    db.actor = getattr(args, "actor", None)
    clean_leftovers(db)  # what a killed backup or restore left behind
    return db


def print_json(obj: Any) -> None:
    json.dump(obj, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


def date_arg(text: str) -> date:
    """``type=`` for argparse options taking a date."""
    try:
        return parse_date(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def require(value: str | None, message: str) -> str:
    if not value:
        raise ValidationError(message)
    return value


def check_out_path(out: Path, db_path: Path | None, *, force: bool) -> None:
    """Refuse an ``--out`` that is the clinic database itself (or its -wal/-shm/-journal), or an
    existing file unless ``--force``: an export must never overwrite the data it was made from."""
    target = Path(out).expanduser().resolve()
    db = Path(db_path).expanduser().resolve() if db_path is not None else None
    if db is not None and target in {db, *(db.with_name(db.name + sfx) for sfx in ("-wal", "-shm", "-journal"))}:
        raise ValidationError(f"不能把导出写到数据库文件本身：{out}")
    if target.is_dir():
        raise ValidationError(f"--out 是一个文件夹，请给出文件名：{out}")
    if target.exists() and not force:
        raise ValidationError(f"文件已存在：{out}（确认覆盖请加 --force）")
