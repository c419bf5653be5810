"""A total deadline per HTTP request, on top of requests' connect/read timeouts.

requests' read timeout applies to each read from the socket, so a server that sends one byte
every few seconds keeps a request alive for ever.  :class:`Deadline` mounts an adapter whose
connections register their sockets; when a request's time is up a timer shuts those sockets
down, the blocked read fails at once, and :attr:`Deadline.expired` tells the caller why.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool


class Deadline:
    """The sockets of one client's session, shut down when a request runs past its time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._socks: set[socket.socket] = set()
        self.expired = False

    def track(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            self._socks = {s for s in self._socks if s.fileno() != -1}
            self._socks.add(sock)

    def _fire(self) -> None:
        with self._lock:
            self.expired = True
            socks = list(self._socks)
        for s in socks:
            with suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    @contextmanager
    def limit(self, seconds: float) -> Iterator[None]:
        """Within the block, a request still running after ``seconds`` has its sockets shut."""
        self.expired = False
        timer = threading.Timer(max(0.0, seconds), self._fire)
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()

    def mount(self, session: requests.Session) -> None:
        """Route the session's http and https traffic through connections that report their sockets."""
        adapter = _Adapter(self)
        session.mount("http://", adapter)
        session.mount("https://", adapter)


def _tracked(base: type[Any], deadline: Deadline) -> type[Any]:
    class Tracked(base):
        def connect(self) -> None:
            super().connect()
            deadline.track(self.sock)

    return Tracked


class _Adapter(HTTPAdapter):
    def __init__(self, deadline: Deadline) -> None:
        self._deadline = deadline
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        d = getattr(self, "_deadline", None)
        if d is None:  # unpickled adapter: plain connections
            return
        http_pool = type("TrackedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": _tracked(HTTPConnection, d)})
        https_pool = type("TrackedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": _tracked(HTTPSConnection, d)})
        self.poolmanager.pool_classes_by_scheme = {"http": http_pool, "https": https_pool}
