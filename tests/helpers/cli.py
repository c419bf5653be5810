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
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
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
