from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from wh_helpers import SECRET
from wh_memory_store import MemoryStore

from ecotrace.services.ingest import WebhookIngest


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def store(clock: FakeClock) -> MemoryStore:
    return MemoryStore(clock)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def ingest(store: MemoryStore, clock: FakeClock) -> WebhookIngest:
    return WebhookIngest(store, secret=SECRET, clock=clock)
