"""AppwriteStore's commit against the local stack: a commit Appwrite refuses is not rolled back (Appwrite already
marked the transaction failed: a rollback would be one more request answered 400), a failed staging is."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ecotrace.adapters.appwrite_store import AppwriteStore
from ecotrace.errors import ConflictError, NotFoundError
from ecotrace_local.testing import StackHandle
from tests.integration.project_stack import project_stack


@pytest.fixture(scope="module")
def module_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackHandle]:
    with project_stack(tmp_path_factory.mktemp("store-stack"), functions=[]) as handle:
        yield handle


def patches(stack: StackHandle) -> list[int]:
    return [e.status for e in stack.stack.request_log.entries() if e.method == "PATCH" and "/transactions/" in e.path]


def test_a_refused_commit_is_not_rolled_back(stack: StackHandle, store: AppwriteStore) -> None:
    store.create("users", "gh_1", {"github_id": "1", "username": "a"})
    stack.stack.request_log.clear()
    with pytest.raises(ConflictError), store.transaction() as tx:
        tx.create("users", "gh_1", {"github_id": "1", "username": "a"})  # a duplicate id: 409 at commit
    assert patches(stack) == [409]


def test_a_failed_staging_is_rolled_back(stack: StackHandle, store: AppwriteStore) -> None:
    stack.stack.request_log.clear()
    with pytest.raises(NotFoundError), store.transaction() as tx:
        tx.update("users", "gh_missing", {"username": "b"})  # a missing row: 404 when staged
    assert patches(stack) == [200]  # the rollback
