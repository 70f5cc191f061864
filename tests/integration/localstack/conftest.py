"""Fixtures for the local stack's integration tests: a small appwrite.json in a temp root, a running stack
over loopback, and Appwrite SDK services bound to it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from appwrite.services.tables_db import TablesDB
from ls_support import write_root

from ecotrace_local.testing import StackHandle, run_stack


@pytest.fixture
def stack_root(tmp_path: Path) -> Path:
    return write_root(tmp_path / "root")


@pytest.fixture
def stack(stack_root: Path, tmp_path: Path) -> Iterator[StackHandle]:
    with run_stack(stack_root, db_path=tmp_path / "data" / "local.sqlite3") as handle:
        yield handle


@pytest.fixture
def tables(stack: StackHandle) -> TablesDB:
    """TablesDB with the project API key."""
    return TablesDB(stack.client())
