from __future__ import annotations

import pytest
from wh_helpers import SECRET, FakeClock

from ecotrace.services.ingest import WebhookIngest
from tests.fakes.memory_store import MemoryStore


@pytest.fixture
def store(clock: FakeClock) -> MemoryStore:
    return MemoryStore(clock)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def ingest(store: MemoryStore, clock: FakeClock) -> WebhookIngest:
    return WebhookIngest(store, secret=SECRET, clock=clock)
