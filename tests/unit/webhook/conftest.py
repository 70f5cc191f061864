from __future__ import annotations

import pytest

from ecotrace.services.ingest import WebhookIngest
from tests.fakes.memory_store import MemoryStore
from tests.unit.webhook.wh_helpers import SECRET, FakeClock


@pytest.fixture
def store(clock: FakeClock) -> MemoryStore:
    return MemoryStore(clock)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def ingest(store: MemoryStore, clock: FakeClock) -> WebhookIngest:
    return WebhookIngest(store, secret=SECRET, clock=clock)
