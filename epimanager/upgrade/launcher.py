"""Frozen builds: start the program version the ``current`` pointer names.

An upgrade installs program files side by side (``<root>/versions/<version>/``) and
switches the ``current`` pointer; the shortcut still starts the version the installer
put there.  :func:`maybe_redirect` (called first thing in ``main``) hands over to the
current version's executable.  Source runs and ``EPIMANAGER_NO_REDIRECT=1`` do nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from epimanager import __version__


def redirect_target() -> Path | None:
    if not getattr(sys, "frozen", False):
        return None  # a source or wheel install: nothing to hand over to (and nothing heavy imported)
    from epimanager.upgrade.install.layout import current_version, frozen_install_root

    root = frozen_install_root()
    if root is None or os.environ.get("EPIMANAGER_NO_REDIRECT") == "1":
        return None
    wanted = current_version(root)
    if wanted == __version__:
        return None
    exe = root / "versions" / wanted / Path(sys.executable).name
    return exe if exe.is_file() else None


def maybe_redirect(argv: list[str]) -> None:
    exe = redirect_target()
    if exe is None:
        return
    env = {**os.environ, "EPIMANAGER_NO_REDIRECT": "1"}
    if os.name == "posix":
        os.execve(exe, [str(exe), *argv], env)
    raise SystemExit(subprocess.call([str(exe), *argv], env=env))
