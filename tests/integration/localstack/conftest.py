"""Fixtures for the local stack's integration tests: a small appwrite.json in a temp root, a running stack
over loopback, and Appwrite SDK services bound to it."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from appwrite.services.tables_db import TablesDB

from ecotrace_local.testing import StackHandle, run_stack
from tests.integration.localstack.ls_support import write_root


@pytest.fixture(scope="module")
def module_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackHandle]:
    """One running stack per test module (starting one costs ~0.3 s); ``stack`` empties it before each test."""
    base = tmp_path_factory.mktemp("localstack")
    with run_stack(write_root(base / "root"), db_path=base / "data" / "local.sqlite3") as handle:
        yield handle


@pytest.fixture
def stack(module_stack: StackHandle) -> StackHandle:
    module_stack.reset()
    return module_stack


@pytest.fixture
def tables(stack: StackHandle) -> TablesDB:
    """TablesDB with the project API key."""
    return TablesDB(stack.client())


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def server_log() -> Iterator[list[logging.LogRecord]]:
    """Every record the server logs while the test runs (the stack's loggers and uvicorn's, which does not
    propagate to the root logger)."""
    handler = _Records()
    loggers = [logging.getLogger(), logging.getLogger("uvicorn")]  # uvicorn.error propagates to uvicorn only
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield handler.records
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
