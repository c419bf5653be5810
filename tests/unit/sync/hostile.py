"""Small hostile platforms on 127.0.0.1: ``http.server`` handlers that answer as a test tells them.

``answer(handler, body)`` gets the request and its body (the batch JSON for a POST) and writes
the reply itself.  Every request is counted; after ``limit`` requests the server answers 401,
so a client that would loop for ever stops (the test then sees how many requests it sent).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Answer = Callable[[BaseHTTPRequestHandler, bytes], None]


@dataclass
class Hostile:
    answer: Answer
    limit: int = 60
    url: str = ""
    posts: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0


def reply(h: BaseHTTPRequestHandler, status: int, body: bytes, ctype: str = "application/json", **headers: str) -> None:
    h.send_response(status)
    h.send_header("Content-Type", ctype)
    h.send_header("Content-Length", str(len(body)))
    for k, v in headers.items():
        h.send_header(k.replace("_", "-"), v)
    h.end_headers()
    h.wfile.write(body)


def reply_json(h: BaseHTTPRequestHandler, data: Any, status: int = 200) -> None:
    reply(h, status, json.dumps(data, ensure_ascii=False).encode("utf-8"))


def records(body: bytes) -> list[dict[str, Any]]:
    return list(json.loads(body)["records"])


@contextmanager
def serve(state: Hostile) -> Iterator[Hostile]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: object) -> None:
            pass

        def _handle(self) -> None:
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n) if n else b""
            state.requests += 1
            if self.command == "POST" and body:
                state.posts.append(json.loads(body))
            if state.requests > state.limit:
                reply_json(self, {"error": "limit"}, 401)
                return
            state.answer(self, body)

        do_GET = do_POST = _handle

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    state.url = f"http://127.0.0.1:{srv.server_address[1]}"
    # shutdown() waits for the loop to look at its flag: every 0.5 s by default, 0.05 s here
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    try:
        yield state
    finally:
        srv.shutdown()
        srv.server_close()
        t.join(10)
