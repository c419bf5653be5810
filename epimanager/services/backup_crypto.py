"""Encrypted backups (``.epibak.enc``), written and read as streams.

A key derived with scrypt (n=2**15, r=8, p=1, random 16-byte salt) and AES-256-GCM over 1 MiB
chunks (STREAM construction: 7-byte random nonce prefix + 4-byte chunk counter + 1-byte
last-chunk flag; the header is authenticated with every chunk), so a wrong passphrase, a changed
byte, reordered or truncated chunks are all refused.

File layout: ``MAGIC (8) | log2 n (1) | r (1) | p (1) | salt (16) | nonce prefix (7)``
then chunks ``length (4, big-endian) | ciphertext+tag``.

Both directions are streams (:class:`SealingWriter`, :class:`OpeningReader`), so the
compressed plain backup never exists as a file beside the encrypted one: gzip writes into the
sealer, and a restore decompresses straight out of the opener.
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import struct
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from epimanager.errors import EpiError

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer, WriteableBuffer

MAGIC = b"EPIBAK\x01E"
CHUNK = 1 << 20
KDF_LOG2_N, KDF_R, KDF_P = 15, 8, 1
WRONG_PASSPHRASE = "密码错误或备份已损坏"
_HEADER = struct.Struct(">8sBBB16s7s")
log = logging.getLogger(__name__)


def is_encrypted(file: Path) -> bool:
    """True if ``file`` starts with the encrypted-backup header."""
    try:
        with Path(file).open("rb") as f:
            return f.read(len(MAGIC)) == MAGIC
    except OSError:
        return False


def _derive(passphrase: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    if not 10 <= log2_n <= 22 or not 1 <= r <= 32 or not 1 <= p <= 16:
        raise EpiError(WRONG_PASSPHRASE)
    return Scrypt(salt=salt, length=32, n=2**log2_n, r=r, p=p).derive(passphrase.encode("utf-8"))


def _nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    return prefix + struct.pack(">I", counter) + (b"\x01" if last else b"\x00")


class SealingWriter(io.RawIOBase):
    """Encrypts what is written into ``out`` chunk by chunk; :meth:`close` seals the last chunk.

    ``out`` is not closed (its owner syncs and closes it).
    """

    def __init__(self, out: BinaryIO, passphrase: str) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        super().__init__()
        self._out = out
        salt, self._prefix = os.urandom(16), os.urandom(7)
        self._header = _HEADER.pack(MAGIC, KDF_LOG2_N, KDF_R, KDF_P, salt, self._prefix)
        self._aead = AESGCM(_derive(passphrase, salt, KDF_LOG2_N, KDF_R, KDF_P))
        self._buf = bytearray()
        self._counter = 0
        out.write(self._header)

    def writable(self) -> bool:
        return True

    def write(self, data: ReadableBuffer) -> int:
        view = memoryview(data).cast("B")
        self._buf += view
        while len(self._buf) > CHUNK:  # a full chunk with more after it: not the last one
            self._seal(bytes(self._buf[:CHUNK]), last=False)
            del self._buf[:CHUNK]
        return len(view)

    def _seal(self, chunk: bytes, *, last: bool) -> None:
        sealed = self._aead.encrypt(_nonce(self._prefix, self._counter, last), chunk, self._header)
        self._out.write(struct.pack(">I", len(sealed)))
        self._out.write(sealed)
        self._counter += 1

    def close(self) -> None:
        if not self.closed:
            self._seal(bytes(self._buf), last=True)
            self._buf.clear()
        super().close()


class OpeningReader(io.RawIOBase):
    """Reads the plaintext of an encrypted backup; :class:`EpiError` 密码错误或备份已损坏 on any mismatch."""

    def __init__(self, src: io.BufferedReader, passphrase: str) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        super().__init__()
        self._src = src
        header = src.read(_HEADER.size)
        if len(header) != _HEADER.size:
            raise EpiError(WRONG_PASSPHRASE)
        magic, log2_n, r, p, salt, self._prefix = _HEADER.unpack(header)
        if magic != MAGIC:
            raise EpiError(WRONG_PASSPHRASE)
        self._header = header
        self._aead = AESGCM(_derive(passphrase, salt, log2_n, r, p))
        self._counter = 0
        self._plain = b""
        self._pos = 0
        self._done = False

    def readable(self) -> bool:
        return True

    def _next_chunk(self) -> None:
        from cryptography.exceptions import InvalidTag

        raw_len = self._src.read(4)
        if len(raw_len) != 4:
            raise EpiError(WRONG_PASSPHRASE)  # truncated: the last chunk never came
        (length,) = struct.unpack(">I", raw_len)
        if length < 16 or length > CHUNK + 16:
            raise EpiError(WRONG_PASSPHRASE)
        sealed = self._src.read(length)
        if len(sealed) != length:
            raise EpiError(WRONG_PASSPHRASE)
        last = not self._src.peek(1)
        try:
            self._plain = self._aead.decrypt(_nonce(self._prefix, self._counter, last), sealed, self._header)
        except InvalidTag:
            log.warning("encrypted backup refused: wrong passphrase or damaged file")
            raise EpiError(WRONG_PASSPHRASE) from None
        self._pos = 0
        self._counter += 1
        self._done = last

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        while self._pos >= len(self._plain):
            if self._done:
                return 0
            self._next_chunk()
        n = min(len(view), len(self._plain) - self._pos)
        view[:n] = self._plain[self._pos : self._pos + n]
        self._pos += n
        return n


def encrypt_file(src: Path, dst: Path, passphrase: str) -> None:
    """Encrypt ``src`` into ``dst`` (see the module docstring for the format)."""
    with Path(src).open("rb") as f_in, Path(dst).open("wb") as f_out:
        sealer = SealingWriter(f_out, passphrase)
        shutil.copyfileobj(f_in, sealer, CHUNK)
        sealer.close()
        f_out.flush()
        os.fsync(f_out.fileno())


def decrypt_file(src: Path, dst: Path, passphrase: str) -> None:
    """Decrypt ``src`` into ``dst``; :class:`EpiError` 密码错误或备份已损坏 on any mismatch (``dst`` removed)."""
    try:
        with Path(src).open("rb") as f_in, Path(dst).open("wb") as f_out:
            shutil.copyfileobj(OpeningReader(f_in, passphrase), f_out, CHUNK)
    except EpiError:
        Path(dst).unlink(missing_ok=True)
        raise
