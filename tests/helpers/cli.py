"""Run the real ``epimanager`` CLI in a process of its own.

Each command is a separate process with its own argv, environment, standard streams and exit code.
By default it is forked from a zygote that imported the CLI once (:mod:`tests.helpers.cli_zygote`):
the suite runs a few hundred commands, and importing SQLAlchemy and the pinyin tables took about a
second of each.  ``EPIMANAGER_TEST_CLI=subprocess`` runs every command as a fresh
``python -m epimanager`` instead; so does a command whose environment changes where the program
looks for its own files (read when modules are imported).
"""

from __future__ import annotations

import atexit
import contextlib
import io
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

#: Variables a command reads while its modules are imported: with these set, a fresh interpreter.
#: (``EPIMANAGER_RESOURCE_OVERRIDES`` is not one: the update folder is looked up on each read of a
#: reference file, and what the zygote's modules cached is emptied before the first fork.)
_IMPORT_TIME_ENV = ("PYTHONPATH", "EPIMANAGER_RESOURCES", "PYTHONHASHSEED")


class _Zygote:
    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="epim-cli-"))
        self.socket = self.folder / "zygote.sock"
        self.env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("cli_zygote.py")), str(self.socket)],
            cwd=REPO,
            env=self.env,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        if self.proc.stdout.readline().strip() != "ready":
            raise RuntimeError("the CLI zygote did not start")
        atexit.register(self.stop)

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()
        shutil.rmtree(self.folder, ignore_errors=True)

    def run(self, argv: list[str], env: dict[str, str], stdin: str | None, timeout: float) -> tuple[int, str, str]:
        with tempfile.TemporaryDirectory(dir=self.folder) as work:
            out, err, inp = Path(work) / "out", Path(work) / "err", Path(work) / "in"
            if stdin is not None:
                inp.write_text(stdin, encoding="utf-8")
            request = {
                "argv": argv,
                "env": env,
                "cwd": str(REPO),
                "stdin": str(inp) if stdin is not None else None,
                "out": str(out),
                "err": str(err),
            }
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                conn.connect(str(self.socket))
                conn.sendall((json.dumps(request) + "\n").encode())
                conn.settimeout(timeout)
                reply = conn.makefile("r", encoding="utf-8")
                pid = int(reply.readline().split()[1])
                try:
                    line = reply.readline()
                except TimeoutError:
                    os.kill(pid, 9)
                    raise subprocess.TimeoutExpired(["epimanager", *argv], timeout) from None
                if not line.startswith("exit "):
                    raise RuntimeError(f"the CLI zygote lost the command {argv}")
                code = int(line.split()[1])
            return code, _text(out), _text(err)

    def spawn(self, request: dict[str, object], stdin: bool) -> Forked:
        return Forked(self.socket, request, stdin)


class Forked:
    """A ``python -m MODULE …`` or ``python -c CODE …`` forked from the zygote: a process of its own with
    its standard streams on pipes, used like the :class:`subprocess.Popen` (``text=True``, stdout and
    stderr piped) that :func:`spawn_python` would otherwise start.  The zygote's supervisor of the
    process says its pid and, when it ends, how (the process is not this one's child)."""

    def __init__(self, path: Path, request: dict[str, object], stdin: bool) -> None:
        ends = [os.pipe() for _ in range(3)]  # (read, write) for stdin, stdout, stderr
        child_fds = [ends[0][0] if stdin else os.open(os.devnull, os.O_RDONLY), ends[1][1], ends[2][1]]
        self._conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self._conn.connect(str(path))
            socket.send_fds(self._conn, [(json.dumps(request) + "\n").encode()], child_fds)
        finally:
            for fd in {*child_fds, ends[0][0]}:
                os.close(fd)
        self.stdin = (
            io.TextIOWrapper(io.FileIO(ends[0][1], "w"), encoding="utf-8", write_through=True) if stdin else None
        )
        if not stdin:
            os.close(ends[0][1])
        self.stdout = open(ends[1][0], encoding="utf-8")  # noqa: SIM115  (closed by communicate, as Popen's)
        self.stderr = open(ends[2][0], encoding="utf-8")  # noqa: SIM115
        self.args = request
        self.returncode: int | None = None
        self._buf = b""
        self.pid = int(self._line(None).split()[1])

    def _line(self, timeout: float | None) -> str:
        """The supervisor's next line; TimeoutError when none came within ``timeout``."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self._buf:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not select.select([self._conn], [], [], left)[0]:
                raise TimeoutError
            chunk = self._conn.recv(4096)
            if not chunk:
                raise RuntimeError("the CLI zygote lost a process")
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return line.decode()

    def poll(self) -> int | None:
        if self.returncode is None:
            with contextlib.suppress(TimeoutError):
                self.returncode = int(self._line(0).split()[1])
                self._conn.close()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            try:
                self.returncode = int(self._line(timeout).split()[1])
            except TimeoutError:
                raise subprocess.TimeoutExpired(str(self.args), timeout or 0) from None
            self._conn.close()
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def communicate(self, input: str | None = None, timeout: float | None = None) -> tuple[str, str]:
        if self.stdin is not None and not self.stdin.closed:
            if input:
                self.stdin.write(input)
            self.stdin.close()
        got: dict[str, str] = {}
        readers = [
            threading.Thread(target=lambda k=k, f=f: got.__setitem__(k, f.read()), daemon=True)
            for k, f in (("out", self.stdout), ("err", self.stderr))
        ]
        for t in readers:
            t.start()
        deadline = None if timeout is None else time.monotonic() + timeout
        for t in readers:
            t.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
            if t.is_alive():
                raise subprocess.TimeoutExpired(str(self.args), timeout or 0)
        self.stdout.close()
        self.stderr.close()
        self.wait(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return got["out"], got["err"]


def spawn_python(*args: str, env: dict[str, str] | None = None, stdin: bool = False) -> Forked | subprocess.Popen[str]:
    """``python -m MODULE ARGS…`` or ``python -c CODE ARGS…`` in a process of its own, forked from the
    zygote (which imported the program once) unless run_cli would start a fresh interpreter; stdout and
    stderr are text pipes (``stdin`` too when asked), as with ``subprocess.Popen(…, text=True)``."""
    full_env = {**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})}
    flag, target, *argv = args
    assert flag in ("-m", "-c"), args
    zygote = None if os.environ.get("EPIMANAGER_TEST_CLI") == "subprocess" or sys.platform == "win32" else _get_zygote()
    if zygote is None or any(full_env.get(k) != zygote.env.get(k) for k in _IMPORT_TIME_ENV):
        return subprocess.Popen(
            [sys.executable, *args], cwd=REPO, env=full_env, text=True, encoding="utf-8",
            stdin=subprocess.PIPE if stdin else None, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
    request: dict[str, object] = {"argv": argv, "env": full_env, "cwd": str(REPO)}
    request["module" if flag == "-m" else "code"] = target
    return zygote.spawn(request, stdin)


def _text(path: Path) -> str:
    """The output as ``subprocess.run(text=True)`` gives it (UTF-8, universal newlines)."""
    with path.open(encoding="utf-8", newline=None) as f:
        return f.read()


_zygotes: list[_Zygote] = []  # the one of this process (started on the first command)
_lock = threading.Lock()


def _get_zygote() -> _Zygote:
    with _lock:
        if not _zygotes or _zygotes[0].proc.poll() is not None:
            _zygotes[:] = [_Zygote()]
        return _zygotes[0]


def run_cli(
    *args: str | os.PathLike[str],
    db: Path | None = None,
    stdin: str | None = None,
    timeout: float = 120,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``python -m epimanager [--db DB] ARGS…`` with captured text output."""
    argv = ["--db", str(db)] if db is not None else []
    argv += [str(a) for a in args]
    full_env = {**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})}
    cmd = [sys.executable, "-m", "epimanager", *argv]
    if os.environ.get("EPIMANAGER_TEST_CLI") == "subprocess" or sys.platform == "win32":
        return subprocess.run(
            cmd, input=stdin, capture_output=True, text=True, timeout=timeout, cwd=REPO, env=full_env, check=False
        )
    zygote = _get_zygote()
    if any(full_env.get(k) != zygote.env.get(k) for k in _IMPORT_TIME_ENV):
        return subprocess.run(
            cmd, input=stdin, capture_output=True, text=True, timeout=timeout, cwd=REPO, env=full_env, check=False
        )
    code, out, err = zygote.run(argv, full_env, stdin, timeout)
    return subprocess.CompletedProcess(cmd, code, out, err)
