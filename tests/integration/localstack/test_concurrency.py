"""Many clients at once (functions call back into the stack from threads): no lost updates, one winner per id."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from appwrite.exception import AppwriteException
from appwrite.services.tables_db import TablesDB

from ecotrace_local.testing import StackHandle
from tests.integration.localstack.ls_support import DB, count_rows, note

THREADS = 12


def test_concurrent_increments_lose_nothing(stack: StackHandle, tables: TablesDB) -> None:
    tables.create_row(DB, "notes", "counter", note(count=0))

    def bump(_: int) -> None:
        client = TablesDB(stack.client())
        for _ in range(5):
            client.increment_row_column(DB, "notes", "counter", "count", value=1)

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(bump, range(THREADS)))
    assert tables.get_row(DB, "notes", "counter").data["count"] == THREADS * 5


def test_concurrent_creates_of_one_id_have_exactly_one_winner(stack: StackHandle) -> None:
    def create(i: int) -> str:
        try:
            TablesDB(stack.client()).create_row(DB, "notes", "same", note(f"t{i}"))
        except AppwriteException as exc:
            return str(exc.type)
        return "created"

    with ThreadPoolExecutor(THREADS) as pool:
        outcomes = list(pool.map(create, range(THREADS)))
    assert outcomes.count("created") == 1
    assert outcomes.count("row_already_exists") == THREADS - 1
    assert count_rows(stack, "notes") == 1


def test_concurrent_transactions_all_commit(stack: StackHandle, tables: TablesDB) -> None:
    def commit(i: int) -> str:
        client = TablesDB(stack.client())
        tx = client.create_transaction()
        client.create_operations(
            tx.id,
            [
                {"action": "create", "databaseId": DB, "tableId": "notes", "rowId": f"t{i}-{j}", "data": note()}
                for j in range(5)
            ],
        )
        return str(client.update_transaction(tx.id, commit=True).status)

    with ThreadPoolExecutor(THREADS) as pool:
        assert set(pool.map(commit, range(THREADS))) == {"committed"}
    assert count_rows(stack, "notes") == THREADS * 5
