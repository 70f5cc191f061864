"""Fixtures for the emission-factor unit tests."""

from __future__ import annotations

import pytest
from factors_helpers import FakeClock, FakeMonotonic
from factors_memory_store import FactorsMemoryStore

from ecotrace.adapters.shipped_factors import ShippedFactors


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
def store() -> FactorsMemoryStore:
    return FactorsMemoryStore()
