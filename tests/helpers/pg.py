"""A throwaway PostgreSQL cluster for the test run (and the benchmarks).

``initdb`` into a temp folder and ``pg_ctl start`` on a free loopback port; run as the unprivileged
``postgres`` user when the run is root (PostgreSQL refuses to run as root).  Durability settings are
off (the cluster is thrown away); stopped with ``pg_ctl stop -m immediate`` and removed at the end.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

SUPERUSER = "epim"
#: The superuser's password: connections over TCP must give it (scram-sha-256), as on a clinic server.
PASSWORD = "epim-test-pw"


def bin_dir() -> Path | None:
    """The newest PostgreSQL ≥ 15 server binaries on this machine (Debian's layout first), else None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    for initdb in reversed(found):
        if int(Path(initdb).parts[-3]) >= 15:
            return Path(initdb).parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    def __init__(self, bindir: Path, *, durable: bool = False, options: str = "") -> None:
        self.bindir = bindir
        #: fsync and synchronous commit on (benchmarks: as a clinic server runs); off for the tests
        self.durable = durable
        #: more server settings (``-c name=value …``)
        self.options = options
        self.base = Path(tempfile.mkdtemp(prefix="epim-pg-"))
        self.data = self.base / "data"
        self.port = _free_port()
        self.user: str | None = None
        if os.geteuid() == 0:
            self.user = "postgres" if _has_user("postgres") else "nobody"
            pw = pwd.getpwnam(self.user)
            os.chown(self.base, pw.pw_uid, pw.pw_gid)
        self.started = False

    def _run(self, *cmd: str) -> None:
        subprocess.run(
            cmd, check=True, user=self.user, cwd=self.base, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )

    def start(self) -> Cluster:
        pwfile = self.base / "pw"
        pwfile.write_text(PASSWORD)
        if self.user:
            pw = pwd.getpwnam(self.user)
            os.chown(pwfile, pw.pw_uid, pw.pw_gid)
        self._run(
            str(self.bindir / "initdb"), "-D", str(self.data), "-U", SUPERUSER, "--pwfile", str(pwfile),
            "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
        )  # fmt: skip
        self.resume()
        return self

    def resume(self) -> None:
        """Start the (initialised) cluster again: the server comes back."""
        options = f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c max_connections=300"
        if self.durable:
            options += " -c shared_buffers=512MB -c maintenance_work_mem=512MB -c max_wal_size=4GB"
        else:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=64MB"
        options += f" {self.options}"
        self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.base / "log"),
            "-w", "-t", "60", "start",
        )  # fmt: skip
        self.started = True

    def pause(self) -> None:
        """Stop the server, keeping its data (a clinic server switched off, a cable pulled)."""
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
        self.started = False

    def crash(self) -> None:
        """Kill the server at once, keeping its data: what it had not handed to the operating system is lost
        (``pg_ctl stop -m immediate``: no shutdown checkpoint, WAL buffers not written)."""
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        self.started = False

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}:{PASSWORD}@127.0.0.1:{self.port}/{dbname}"

    def stop(self) -> None:
        if self.started:
            subprocess.run(
                [str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"],
                user=self.user, cwd=self.base, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
            )  # fmt: skip
            self.started = False
        shutil.rmtree(self.base, ignore_errors=True)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True
