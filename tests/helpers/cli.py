"""Run the real ``epimanager`` CLI in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run_cli(
    *args: str | os.PathLike[str],
    db: Path | None = None,
    stdin: str | None = None,
    timeout: float = 120,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``python -m epimanager [--db DB] ARGS…`` with captured text output."""
    cmd = [sys.executable, "-m", "epimanager"]
    if db is not None:
        cmd += ["--db", str(db)]
    cmd += [str(a) for a in args]
    full_env = {**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})}
    return subprocess.run(
        cmd, input=stdin, capture_output=True, text=True, timeout=timeout, cwd=REPO, env=full_env, check=False
    )
