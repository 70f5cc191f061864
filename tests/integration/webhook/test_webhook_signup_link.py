"""Sign-up on the local stack: before linking, the person cannot read their rows; after, they can, through
Appwrite's own permission checks (a JWT client), and new rows are readable at once."""

from __future__ import annotations

from appwrite.exception import AppwriteException
from appwrite.query import Query
from appwrite.services.tables_db import TablesDB

from ecotrace.adapters.appwrite_store import AppwriteStore
from ecotrace.services.accounts import link_account
from ecotrace_local.testing import StackHandle
from tests.integration.webhook.wh_http import SECRET, post, signed_headers
from tests.unit.webhook.wh_helpers import body_of, multi_commit_push

ACCOUNT = "acct-codertocat"
DB = "ecotrace-main"


def _push(stack: StackHandle, n: int, guid: str) -> None:
    body = body_of(multi_commit_push(n))
    assert post(stack, body, signed_headers(SECRET, "push", body, delivery=guid)).status_code == 200


def _visible(stack: StackHandle, table: str) -> int:
    client = TablesDB(stack.user_client(ACCOUNT))
    try:
        result = client.list_rows(DB, table, queries=[Query.equal("user_id", "gh_21031067"), Query.limit(100)])
    except AppwriteException:
        return 0
    return len(result.rows)


def test_linking_makes_earlier_and_later_rows_readable_by_the_account(stack: StackHandle, store: AppwriteStore) -> None:
    _push(stack, 3, "before-signup")
    assert _visible(stack, "activities") == 0
    result = link_account(store, github_id=21031067, account_id=ACCOUNT)
    assert result.granted["activities"] == 3
    assert _visible(stack, "activities") == 3
    assert _visible(stack, "user_stats") == 1
    _push(stack, 5, "after-signup")
    assert _visible(stack, "activities") == 5
