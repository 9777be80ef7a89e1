"""The process-wide reward runtime pointed at a `FakeBackend` for one test, closed after it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from judge import close_rewards, configure_rewards
from tests.judge.adapters.fakes import FakeBackend


@pytest.fixture
def fake() -> Iterator[FakeBackend]:
    backend = FakeBackend()
    configure_rewards(backend=backend, window_s=0.2, quiet_s=0.2)  # deterministic groups on a busy machine
    yield backend
    close_rewards()
