"""Fixtures for the emission-factor unit tests."""

from __future__ import annotations

import pytest

from ecotrace.adapters.shipped_factors import ShippedFactors
from tests.fakes.memory_store import MemoryStore
from tests.unit.factors.factors_helpers import FakeClock, FakeMonotonic


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def monotonic() -> FakeMonotonic:
    return FakeMonotonic()


@pytest.fixture(scope="session")
def shipped() -> ShippedFactors:
    return ShippedFactors.load()


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()
