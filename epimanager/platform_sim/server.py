"""HTTP front of the reference platform (``http.server``, one thread per connection).

Binds to 127.0.0.1 only.  Faults, drawn per request from a seeded RNG:

- ``fail_rate``: answer 503 without storing anything;
- ``drop_rate``: close the connection without storing or answering;
- ``lost_ack_rate``: store the batch (and its reply), then close without answering;
- ``delay_ms``: sleep before handling.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from epimanager.domain.platform_protocol import (
    BATCHES,
    CHILDREN,
    IDEMPOTENCY_HEADER,
    MAX_BATCH,
    NEWBORNS,
    PING,
    PROTOCOL_VERSION,
)
from epimanager.platform_sim.store import IdempotencyConflict, PlatformStore

HOST = "127.0.0.1"
MAX_BODY = 64 * 1024 * 1024


@dataclass
class Faults:
    fail_rate: float = 0.0
    drop_rate: float = 0.0
    lost_ack_rate: float = 0.0
    delay_ms: int = 0
    seed: int | None = None
    _rng: random.Random = field(default_factory=random.Random, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def roll(self, rate: float) -> bool:
        if rate <= 0:
            return False
        with self._lock:
            return self._rng.random() < rate

    def heal(self) -> None:
        self.fail_rate = self.drop_rate = self.lost_ack_rate = 0.0
        self.delay_ms = 0


@dataclass
class Auth:
    """``tokens`` valid for any unit, and per-unit tokens.  No tokens at all = open (training)."""

    tokens: set[str] = field(default_factory=set)
    unit_tokens: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, specs: list[str] | None) -> Auth:
        auth = cls()
        for spec in specs or []:
            unit, sep, token = spec.partition("=")
            if sep and unit.isdigit() and len(unit) == 10:
                auth.unit_tokens[unit] = token
            else:
                auth.tokens.add(spec)
        return auth

    @property
    def open(self) -> bool:
        return not self.tokens and not self.unit_tokens

    def allows(self, header: str | None, unit: str | None) -> bool:
        if self.open:
            return True
        if not header or not header.startswith("Bearer "):
            return False
        token = header[len("Bearer ") :].strip()
        if token in self.tokens:
            return True
        return unit is not None and self.unit_tokens.get(unit) == token


class _Dropped(Exception):
    """Close the connection without a reply."""


class PlatformServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, store: PlatformStore, auth: Auth, faults: Faults, *, verbose: bool = False) -> None:
        self.store = store
        self.auth = auth
        self.faults = faults
        self.verbose = verbose
        super().__init__((HOST, port), _Handler)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: PlatformServer

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    # -- plumbing -------------------------------------------------------------
    def _send(self, status: int, obj: Any) -> None:
        body = json.dumps(obj, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status: int, code: str, message: str) -> None:
        self._send(status, {"error": code, "message": message})

    def _body(self) -> bytes:
        n = int(self.headers.get("Content-Length") or 0)
        if n > MAX_BODY:
            raise ValueError("too large")
        return self.rfile.read(n) if n else b""

    def _faults_before(self) -> None:
        f = self.server.faults
        if f.delay_ms:
            time.sleep(f.delay_ms / 1000)
        if f.roll(f.drop_rate):
            raise _Dropped
        if f.roll(f.fail_rate):
            self._error(503, "unavailable", "平台繁忙（模拟故障），请稍后重试")
            raise _Dropped("answered")

    def _handle(self, fn: Any) -> None:
        try:
            fn()
        except _Dropped as exc:
            if not exc.args:  # a real drop: no reply at all
                self.close_connection = True
        except (ConnectionError, TimeoutError):
            self.close_connection = True

    def do_GET(self) -> None:
        self._handle(self._get)

    def do_POST(self) -> None:
        self._handle(self._post)

    # -- endpoints ------------------------------------------------------------
    def _get(self) -> None:
        parts = urlsplit(self.path)
        q = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if parts.path == PING:
            self._send(200, {"ok": True, "protocol": PROTOCOL_VERSION})
            return
        self._faults_before()
        if parts.path == CHILDREN:
            if not self.server.auth.allows(self.headers.get("Authorization"), q.get("unit")):
                self._error(401, "unauthorized", "令牌无效")
                return
            found = self.server.store.find_children(
                code=q.get("code"),
                id_number=q.get("id_number"),
                name=q.get("name"),
                birth_date=q.get("birth_date"),
                mother=q.get("mother"),
            )
            self._send(200, {"children": found})
        elif parts.path == NEWBORNS:
            unit = q.get("unit", "")
            if not self.server.auth.allows(self.headers.get("Authorization"), unit):
                self._error(401, "unauthorized", "令牌无效")
                return
            try:
                since = int(q.get("since", "0"))
            except ValueError:
                self._error(400, "bad_request", "since 应为整数")
                return
            self._send(200, self.server.store.newborns(unit, since))
        else:
            self._error(404, "not_found", parts.path)

    def _post(self) -> None:
        path = urlsplit(self.path).path
        try:
            raw = self._body()
        except ValueError:
            self.close_connection = True
            self._error(413, "too_large", "请求过大")
            return
        self._faults_before()
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            self._error(400, "bad_json", "请求内容不是有效的 JSON")
            return
        if not isinstance(body, dict) or not isinstance(body.get("records"), list):
            self._error(400, "bad_request", "缺少 records 列表")
            return
        unit = str(body.get("unit") or "")
        if not self.server.auth.allows(self.headers.get("Authorization"), unit):
            self._error(401, "unauthorized", "令牌无效")
            return
        if body.get("protocol", PROTOCOL_VERSION) != PROTOCOL_VERSION:
            self._error(400, "protocol", f"不支持的协议版本：{body.get('protocol')}")
            return
        if len(body["records"]) > MAX_BATCH:
            self._error(413, "too_large", f"每批最多 {MAX_BATCH} 条")
            return
        store = self.server.store
        if path == NEWBORNS:
            self._send(200, store.register_newborns(unit, body["records"]))
            return
        if path != BATCHES:
            self._error(404, "not_found", path)
            return
        key = self.headers.get(IDEMPOTENCY_HEADER)
        if not key or len(key) > 100:
            self._error(400, "idempotency_key", "缺少 Idempotency-Key")
            return
        digest = hashlib.sha256(raw).hexdigest()
        try:
            reply = store.apply_batch(key, unit, digest, body["records"])
        except IdempotencyConflict:
            self._error(422, "idempotency_conflict", "同一 Idempotency-Key 已用于不同的内容")
            return
        if self.server.faults.roll(self.server.faults.lost_ack_rate):
            raise _Dropped  # stored, but the reply is lost
        self._send(200, reply)


def make_server(
    store_path: Path | str,
    *,
    port: int = 0,
    tokens: list[str] | None = None,
    faults: Faults | None = None,
    verbose: bool = False,
) -> PlatformServer:
    """A server bound to 127.0.0.1:port (0 = any free port); call ``serve_forever``."""
    return PlatformServer(port, PlatformStore(store_path), Auth.parse(tokens), faults or Faults(), verbose=verbose)


class RunningServer:
    """A platform server in a background thread (tests, training): ``with RunningServer(...) as srv``."""

    def __init__(self, store_path: Path | str, **kwargs: Any) -> None:
        self.server = make_server(store_path, **kwargs)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def store(self) -> PlatformStore:
        return self.server.store

    @property
    def faults(self) -> Faults:
        return self.server.faults

    def __enter__(self) -> RunningServer:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
        self.server.store.close()
