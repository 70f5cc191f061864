"""The backfill against the strict fake GitHub over loopback HTTP, writing to the in-memory store that keeps
Appwrite's contract (the local-stack test of the whole function is test_backfill_function.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.github_api import FakeGitHub
from tests.fakes.memory_store import MemoryStore
from tests.unit.webhook.wh_helpers import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(clock: FakeClock) -> MemoryStore:
    return MemoryStore(clock)


@pytest.fixture
def github(clock: FakeClock) -> Iterator[FakeGitHub]:
    with FakeGitHub() as fake:
        fake.reset_at = int(clock.now.timestamp()) + 3600
        yield fake
