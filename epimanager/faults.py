"""Fault-injection points for the crash tests.

``EPIMANAGER_PAUSE_AT=<point>`` makes the process write ``paused at <point>`` to standard error
and wait there, so that a test can kill it (SIGKILL) at exactly that point.  Unset (always, in
normal use) it does nothing.
"""

from __future__ import annotations

import os
import sys
import time

PAUSE_ENV = "EPIMANAGER_PAUSE_AT"


def pause_point(name: str) -> None:
    if os.environ.get(PAUSE_ENV) != name:
        return
    sys.stderr.write(f"paused at {name}\n")
    sys.stderr.flush()
    time.sleep(600)
