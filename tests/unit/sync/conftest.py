"""A reference platform on 127.0.0.1 in a thread, and a quick retry policy."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from epimanager.platform_sim.server import RunningServer
from epimanager.sync.client import RetryPolicy

TOKEN = "t-3201020101-secret"


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[RunningServer]:
    with RunningServer(tmp_path / "platform.sqlite", tokens=[TOKEN]) as srv:
        yield srv


@pytest.fixture
def quick() -> RetryPolicy:
    return RetryPolicy(max_attempts=6, base=0.005, cap=0.05, max_elapsed=30, rng=random.Random(7))
