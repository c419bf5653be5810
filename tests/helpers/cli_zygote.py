"""A process that has imported the CLI once and forks a fresh ``python -m epimanager`` for each request.

Started by :mod:`tests.helpers.cli` (one per test process).  Each command still runs in a process of
its own — its own argv, environment, working folder, standard streams and exit code, killed on a
timeout — only the imports (SQLAlchemy, the pinyin tables, the CLI's modules: about a second of
every start) are done once.  Functions cached in memory are emptied before the first fork, so no
command sees what another one computed.

Protocol (one connection per command, on a Unix socket): the client sends one JSON line
``{"argv", "env", "cwd", "stdin", "out", "err"}``; the zygote forks a supervisor that forks the
command, sends ``pid N`` and, when the command ends, ``exit N`` (negative: killed by signal -N).
A request with ``"module"`` (``python -m MODULE ARGV…``) or ``"code"`` (``python -c CODE ARGV…``)
instead of the CLI comes with the three ends of its standard streams (pipes the client made) passed
along the socket, in place of ``stdin``/``out``/``err`` files: :class:`tests.helpers.cli.Forked`.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import io
import json
import os
import runpy
import select
import signal
import socket
import sys
import threading
import time
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

#: The scrypt cost (n) of a password hashed in a test (the program's own is 2**15).
TEST_SCRYPT_N = 2**10


def _preload() -> None:
    sys.path[0] = str(REPO)  # as ``python -m`` from the repository
    import importlib
    import pkgutil

    import alembic.command
    import alembic.config  # noqa: F401

    import epimanager

    # every module a command may import on its way (the commands import lazily), not the GUI
    skip = ("epimanager.ui", "epimanager.__main__", "epimanager.store.migrations")
    for info in pkgutil.walk_packages(epimanager.__path__, "epimanager."):
        if not info.name.startswith(skip):
            importlib.import_module(info.name)
    from sqlalchemy.orm import configure_mappers

    from epimanager.domain.search.keys import name_key_forms

    configure_mappers()

    name_key_forms("张浩")  # pypinyin loads its tables on first use
    from epimanager.services import users

    # passwords hashed at the tests' cost, as in the test processes (tests/conftest.py): a command
    # that adds a user or logs in took ~140 ms of CPU at the program's 2**15 (a login verifies at the
    # cost stored in the hash); the tests of the cost itself do not go through the CLI
    users.SCRYPT_N = TEST_SCRYPT_N
    for name, module in list(sys.modules.items()):  # nothing computed here may reach a command
        if name.split(".")[0] != "epimanager":
            continue
        for value in list(vars(module).values()):
            if isinstance(value, functools._lru_cache_wrapper):
                value.cache_clear()


def _streams(request: dict[str, str | None]) -> None:
    stdin = request["stdin"]
    fd_in = os.open(stdin if stdin is not None else os.devnull, os.O_RDONLY)
    fd_out = os.open(str(request["out"]), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    fd_err = os.open(str(request["err"]), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    _piped_streams([fd_in, fd_out, fd_err])


def _piped_streams(fds: list[int]) -> None:
    """Standard streams on ``fds`` (stdin, stdout, stderr: files, or the pipes a client passed), as
    ``python`` sets them up."""
    for fd, target in zip(fds, (0, 1, 2), strict=True):
        os.dup2(fd, target)
        os.close(fd)
    encoding = os.environ.get("PYTHONIOENCODING", "utf-8").split(":")[0] or "utf-8"
    sys.stdin = sys.__stdin__ = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding=encoding)
    sys.stdout = sys.__stdout__ = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding=encoding)
    sys.stderr = sys.__stderr__ = io.TextIOWrapper(
        io.FileIO(2, "w", closefd=False), encoding=encoding, errors="backslashreplace", line_buffering=True
    )


def _command(request: dict[str, object], fds: list[int]) -> None:
    """The forked command: what ``python -m epimanager ARGS`` (or ``-m MODULE``, ``-c CODE``) does, then
    exit with its code."""
    os.environ.clear()
    os.environ.update(request["env"])  # type: ignore[arg-type]
    time.tzset()
    os.chdir(str(request["cwd"]))
    if fds:
        _piped_streams(fds)
    else:
        _streams(request)  # type: ignore[arg-type]
    module = str(request.get("module") or "epimanager")
    sys.argv = [str(REPO / "epimanager" / "__main__.py"), *request["argv"]]  # type: ignore[misc]
    code = 0
    try:
        if request.get("code") is not None:
            sys.argv = ["-c", *request["argv"]]  # type: ignore[misc]
            exec(compile(str(request["code"]), "<string>", "exec"), {"__name__": "__main__"})
        else:
            runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        if exc.code is None:
            code = 0
        elif isinstance(exc.code, int):
            code = exc.code
        else:
            print(exc.code, file=sys.stderr)
            code = 1
    except BaseException:  # noqa: BLE001  (as the interpreter: a traceback and exit 1)
        traceback.print_exc()
        code = 1
    try:  # what the interpreter does on its way out
        threading._shutdown()  # type: ignore[attr-defined]
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:  # noqa: BLE001  (the interpreter's exit code when flushing fails)
        code = code or 120
    os._exit(code & 0xFF)


def _supervise(conn: socket.socket, request: dict[str, object], fds: list[int]) -> None:
    """Fork the command, say its pid, wait for it, say how it ended."""
    pid = os.fork()
    if pid == 0:
        conn.close()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        _command(request, fds)
    for fd in fds:  # the command's alone: the client's reads end when the command's streams close
        os.close(fd)
    conn.sendall(f"pid {pid}\n".encode())
    _, status = os.waitpid(pid, 0)
    code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
    with contextlib.suppress(OSError):  # the client gave up (timeout) and killed the command
        conn.sendall(f"exit {code}\n".encode())
    os._exit(0)


def _read_request(conn: socket.socket) -> tuple[dict[str, object], list[int]]:
    """The request and the stream ends passed with it (none for a CLI command)."""
    data, fds = b"", []
    while not data.endswith(b"\n"):
        chunk, more, _flags, _addr = socket.recv_fds(conn, 65536, 3)
        fds += more
        if not chunk:
            for fd in fds:
                os.close(fd)
            raise EOFError
        data += chunk
    try:
        return json.loads(data), fds
    except ValueError:
        for fd in fds:
            os.close(fd)
        raise


def serve(path: str) -> None:
    _preload()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # supervisors are reaped by the system
    parent = os.getppid()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(16)
    print("ready", flush=True)
    while os.getppid() == parent:  # the test process is gone: so is the zygote
        if not select.select([server], [], [], 1.0)[0]:
            continue
        conn, _ = server.accept()
        try:
            request, fds = _read_request(conn)
        except (EOFError, ValueError, OSError):
            conn.close()
            continue
        if os.fork() == 0:
            server.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            _supervise(conn, request, fds)
        conn.close()
        for fd in fds:  # the supervisor's now
            os.close(fd)


if __name__ == "__main__":
    serve(sys.argv[1])
