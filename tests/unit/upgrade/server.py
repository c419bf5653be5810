"""A real upgrade server on 127.0.0.1: latest-version JSON and the zip with Range support.

``drop_first`` makes the first full download stop halfway (connection closed) once.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class UpgradeServer:
    package: Path
    version: str
    drop_first: bool = False
    token: str | None = None
    url: str = ""
    ranges: list[str | None] = field(default_factory=list)
    auth: list[str | None] = field(default_factory=list)
    latest_queries: list[str] = field(default_factory=list)
    dropped: int = 0


@contextmanager
def serve(state: UpgradeServer) -> Iterator[UpgradeServer]:
    body = state.package.read_bytes()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: object) -> None:
            pass

        def do_GET(self) -> None:
            state.auth.append(self.headers.get("Authorization"))
            if state.token and self.headers.get("Authorization") != f"Bearer {state.token}":
                self.send_response(401)
                self.end_headers()
                return
            if self.path.startswith("/api/v1/upgrades/latest"):
                state.latest_queries.append(self.path)
                out = json.dumps(
                    {
                        "version": state.version,
                        "url": "/files/package.zip",
                        "size": len(body),
                        "sha256": hashlib.sha256(body).hexdigest(),
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)
                return
            if self.path != "/files/package.zip":
                self.send_response(404)
                self.end_headers()
                return
            rng = self.headers.get("Range")
            state.ranges.append(rng)
            start = int(rng.split("=")[1].split("-")[0]) if rng else 0
            if rng:
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            else:
                self.send_response(200)
            self.send_header("Content-Length", str(len(body) - start))
            self.send_header("Accept-Ranges", "bytes")
            self.end_headers()
            if state.drop_first and not state.dropped and not rng:
                state.dropped += 1
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(2)
                return
            self.wfile.write(body[start:])

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # shutdown() waits for the loop to look at its flag: every 0.5 s by default, 0.05 s here
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
