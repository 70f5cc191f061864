"""Fixtures for the emission-factor unit tests."""

from __future__ import annotations

import pytest
from factors_helpers import FakeClock, FakeMonotonic

from ecotrace.adapters.shipped_factors import ShippedFactors
from tests.fakes.memory_store import MemoryStore


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
