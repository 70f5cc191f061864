"""Fixtures shared by integration tests that define a module-scoped ``module_stack`` (see project_stack.py).
tests/integration/localstack has its own."""

from __future__ import annotations

import pytest

from ecotrace.adapters.appwrite_store import AppwriteStore
from ecotrace_local.testing import StackHandle


@pytest.fixture
def stack(module_stack: StackHandle) -> StackHandle:
    """The module's stack, emptied before each test."""
    module_stack.reset()
    return module_stack


@pytest.fixture
def store(stack: StackHandle) -> AppwriteStore:
    return AppwriteStore(stack.client())
