"""Public keys the client trusts for upgrade packages (Ed25519, raw 32 bytes, base64).

``RELEASE_KEYS`` holds the release signing keys (private halves kept offline; generate one
with ``epimanager upgrade keygen``).  ``DEV_KEYS`` is the development key in ``tests/keys/``:
trusted only by a source (non-frozen) run with ``EPIMANAGER_DEV_KEYS=1``.
"""

from __future__ import annotations

import base64
import hashlib
import os
import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from epimanager.errors import EpiError

# key id → base64 of the raw 32-byte public key.  Add the release key here before shipping.
RELEASE_KEYS: dict[str, str] = {}

# DEVELOPMENT ONLY (tests/keys/dev-upgrade-key.pem) — never trusted by a frozen build.
DEV_KEYS: dict[str, str] = {
    "dev-f64630dd3aac00cd": "WAeuk42P8TwZnRp9xRM4tkax3fQLMPI4TonhBu/MUCE=",
}


def key_id(public: Ed25519PublicKey, prefix: str = "rel") -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return f"{prefix}-{hashlib.sha256(raw).hexdigest()[:16]}"


def dev_keys_enabled() -> bool:
    return os.environ.get("EPIMANAGER_DEV_KEYS") == "1" and not getattr(sys, "frozen", False)


def trusted_keys() -> dict[str, Ed25519PublicKey]:
    keys = dict(RELEASE_KEYS)
    if dev_keys_enabled():
        keys.update(DEV_KEYS)
    return {kid: Ed25519PublicKey.from_public_bytes(base64.b64decode(b64)) for kid, b64 in keys.items()}


def load_private_key(path: str | os.PathLike[str]) -> Ed25519PrivateKey:
    try:
        with open(path, "rb") as f:
            key = serialization.load_pem_private_key(f.read(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise EpiError(f"无法读取签名私钥：{path}（{exc}）") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise EpiError(f"签名私钥不是 Ed25519 密钥：{path}")
    return key


def signing_key_id(private: Ed25519PrivateKey) -> str:
    """The id a package signed by ``private`` carries (``dev-…`` for the dev key)."""
    public = private.public_key()
    raw = base64.b64encode(public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()
    for kid, b64 in DEV_KEYS.items():
        if b64 == raw:
            return kid
    return key_id(public)
