"""A push stays one atomic transaction within Appwrite's operation limit, however many commits it carries.

Appwrite counts the limit (100 on self-hosted, ``_APP_LIMIT_DATABASE_TRANSACTION``) per staged operation: the
staging endpoint compares ``existing + count($operations)`` with the limit, so a ``bulkCreate`` of 100 rows is one
operation; rows in bulk operations are only summed at commit for usage metrics (appwrite/appwrite
``src/Appwrite/Platform/Modules/Databases/Http/Databases/Transactions/Operations/Create.php`` and ``Update.php``).
"""

from __future__ import annotations

import pytest

from ecotrace.domain.github import MAX_PUSH_COMMITS
from ecotrace.entrypoints.webhook import ingest_for
from ecotrace.errors import ValidationError
from ecotrace.ports import MAX_BATCH
from ecotrace.settings import Settings
from tests.fakes.memory_store import MemoryStore
from tests.unit.webhook.wh_helpers import SECRET, FakeClock, body_of, headers, multi_commit_push

GITHUB_MAX_COMMITS = MAX_PUSH_COMMITS


def _push_with_carbon(n: int) -> MemoryStore:
    clock = FakeClock()
    store = MemoryStore(clock)
    settings = Settings(endpoint="http://unused.invalid/v1", project_id="p", github_webhook_secret=SECRET)
    body = body_of(multi_commit_push(n))
    result = ingest_for(settings, store, clock=clock).handle(body, headers("push", body))
    assert result.status == 200, result.body
    return store


def test_the_largest_push_github_sends_is_one_transaction_within_the_operation_limit() -> None:
    assert GITHUB_MAX_COMMITS >= 2048  # push schema maximum (reference notes): never refuse what GitHub sends
    store = _push_with_carbon(GITHUB_MAX_COMMITS)
    (operations,) = store.commits  # everything counted went through one commit: all or nothing
    assert len(operations) <= MAX_BATCH  # what Appwrite counts against the limit: one per staged operation
    bulk = [op for op in operations if op["action"].startswith("bulk")]
    assert all(len(op["data"]) <= MAX_BATCH for op in bulk)
    assert len(store.by_id("activities")) == GITHUB_MAX_COMMITS
    assert len(store.by_id("calculations")) == GITHUB_MAX_COMMITS
    assert store.by_id("user_stats")["gh_21031067"]["commit_count"] == GITHUB_MAX_COMMITS


def test_a_100_commit_push_with_carbon_stages_as_many_operations_as_a_1_commit_push() -> None:
    staged = [len(_push_with_carbon(n).commits[0]) for n in (1, 100)]
    assert staged[0] == staged[1]


def test_a_push_of_more_commits_than_github_ever_sends_is_refused_before_any_write() -> None:
    # More would be the only way to outgrow one transaction (46 bulk operations of 100 commits and their
    # calculations, plus the rest); GitHub lists at most 2048 and leaves the rest to the Compare API.
    store = MemoryStore(FakeClock())
    settings = Settings(endpoint="http://unused.invalid/v1", project_id="p", github_webhook_secret=SECRET)
    body = body_of(multi_commit_push(GITHUB_MAX_COMMITS + 1))
    with pytest.raises(ValidationError, match="commits") as info:
        ingest_for(settings, store).handle(body, headers("push", body))
    assert info.value.status == 400
    assert store.requests == []
