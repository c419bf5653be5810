"""Helpers shared by the subcommands."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from typing import TYPE_CHECKING, Any

from epimanager.domain.dates import parse_date
from epimanager.errors import ValidationError
from epimanager.paths import resolve_db_path

if TYPE_CHECKING:
    from epimanager.store.database import Database


def open_database(args: argparse.Namespace, *, create: bool = False) -> Database:
    """Open the database named by ``--db`` / ``EPIMANAGER_DB`` / the default location, for the ``--user`` logged in."""
    from epimanager.store.database import open_database as _open

    db = _open(resolve_db_path(getattr(args, "db", None)), create=create)
    db.actor = getattr(args, "actor", None)
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
