"""The platform token at rest: sealed with AES-256-GCM under a key kept beside the database.

The key is a file of its own in the data folder (:data:`KEY_FILE`, created on first use, readable
by its owner only), never in the database, so the token is not in clear in ``epimanager.sqlite``,
in a copy of it, or in a backup. A backup restored on another PC (or a database copied without
its key file) has a token that cannot be opened: it must be set again (``sync config
--token-stdin``). What this does not protect against: someone who can read the whole data folder
(database *and* key file) as the Windows/Linux user who runs EpiManager can open the token — the
protection is for copies of the database and backups that leave the folder.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

KEY_FILE = "secret.key"
PREFIX = "enc1:"
_AAD = b"epimanager platform token v1"


def key_path(db_path: Path) -> Path:
    return Path(db_path).parent / KEY_FILE


def _read_key(path: Path) -> bytes | None:
    try:
        key = base64.b64decode(path.read_bytes().strip(), validate=True)
    except (OSError, binascii.Error):
        return None
    return key if len(key) == 32 else None


def _key(db_path: Path, *, create: bool) -> bytes | None:
    path = key_path(db_path)
    key = _read_key(path)
    if key is not None or not create:
        return key
    key = os.urandom(32)
    tmp = path.with_name(f".{KEY_FILE}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, base64.b64encode(key) + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)  # never replaces a key another process wrote meanwhile
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    found = _read_key(path)
    if found is None:
        raise OSError(f"cannot read the key file {path}")
    return found


def is_sealed(stored: str | None) -> bool:
    return bool(stored) and str(stored).startswith(PREFIX)


def seal(db_path: Path, token: str) -> str:
    """The value to store for ``token`` ("" stays "": no token)."""
    if not token:
        return ""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    key = _key(db_path, create=True)
    assert key is not None
    nonce = os.urandom(12)
    return PREFIX + base64.b64encode(nonce + AESGCM(key).encrypt(nonce, token.encode("utf-8"), _AAD)).decode("ascii")


def unseal(db_path: Path, stored: str | None) -> str | None:
    """The token of a stored value; None when there is none or it cannot be opened here.

    A value stored in clear by an older version is returned as it is (the next save seals it).
    """
    if not stored:
        return None
    if not is_sealed(stored):
        return stored
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    key = _key(db_path, create=False)
    if key is None:
        log.warning("platform token cannot be opened: no key file beside the database (set the token again)")
        return None
    try:
        raw = base64.b64decode(stored[len(PREFIX) :], validate=True)
        return AESGCM(key).decrypt(raw[:12], raw[12:], _AAD).decode("utf-8")
    except (binascii.Error, InvalidTag, ValueError):
        log.warning("platform token cannot be opened with this key file (set the token again)")
        return None
