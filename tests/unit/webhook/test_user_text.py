"""Any string GitHub can send in a text field is stored exactly as sent, and never read as an update operator
(issue 14 item 2); a delivery the store refuses is a permanent failure, not a 503 forever.

The in-memory store applies operator strings as Appwrite does (``tests/fakes/memory_store.py``): a
``{"method":"multiply",...}`` title that reached an update would multiply, and in a transaction's create it
fails the commit. Titles reach the store through creates (new activities) and through an update (a workflow run
filling in the placeholder its jobs created)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecotrace.adapters.appwrite_store import StoreRejectedError
from ecotrace.domain.github import extract
from ecotrace.errors import UnprocessableError
from ecotrace.ports import operator_shaped
from ecotrace.services.ingest import DeliveryLedger, WebhookIngest
from ecotrace.tables import activities
from tests.fakes.memory_store import MemoryStore
from tests.unit.webhook.wh_helpers import SECRET, FakeClock, body_of, headers, multi_commit_push, payload

JOB = "workflow_job/completed.success.with-organization.payload.json"
RUN = "workflow_run/completed.payload.json"
OPERATORS = [
    '{"method":"multiply","values":[3]}',
    '{"method":"increment"}',
    '{"method":"multiply","values":[10000000]}',
    ' {"method":"stringReplace","values":["a","b"]}',
    '{"\\u006dethod":"toggle"}',
    "\u2060" + '{"method":"increment"}',  # already carries the codec's mark
]
METHODS = st.sampled_from(["increment", "divide", "arrayAppend", "dateSetNow"])
text = st.one_of(
    st.sampled_from(OPERATORS),
    st.text(max_size=600),
    st.builds(lambda method, value: json.dumps({"method": method, "values": [value]}), METHODS, st.integers()),
)


def _send(ingest: WebhookIngest, event: str, data: dict[str, Any], delivery: str) -> int:
    body = body_of(data)
    return ingest.handle(body, headers(event, body, delivery=delivery)).status


def _stored_title(store: MemoryStore, row_id: str) -> str | None:
    return activities.from_row(store.by_id("activities")[row_id]).title


def _no_operator_anywhere(store: MemoryStore) -> None:
    for table, rows in store.tables.items():
        for row in rows.values():
            for key, value in row.items():
                assert not (key not in ("body",) and operator_shaped(value)), (table, key, value)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(commit_message=text, pr_title=text, job_name=text, run_title=text)
def test_any_text_github_sends_is_stored_exactly_and_never_applied_as_an_operator(
    commit_message: str, pr_title: str, job_name: str, run_title: str
) -> None:
    store = MemoryStore(FakeClock())
    ingest = WebhookIngest(store, secret=SECRET, clock=FakeClock())
    push = multi_commit_push(2)
    push["commits"][0]["message"] = commit_message
    push["head_commit"] = copy.deepcopy(push["commits"][-1])
    pr = payload("pull_request/opened.payload.json")
    pr["pull_request"]["title"] = pr_title
    job = payload(JOB)
    job["workflow_job"].update(name=job_name, run_id=777)
    run = payload(RUN)
    run["workflow_run"].update(id=777, display_title=run_title)
    run["repository"] = copy.deepcopy(job["repository"])

    for i, (event, data) in enumerate(
        [("push", push), ("pull_request", pr), ("workflow_job", job), ("workflow_run", run)]
    ):
        assert _send(ingest, event, data, f"d{i}") == 200
        for sent in extract(event, data, f"d{i}").activities:  # what the delivery says, as the domain reads it
            if event == "workflow_run":
                assert _stored_title(store, sent.id) == sent.title  # filled in by an update of the placeholder
            else:
                assert _stored_title(store, sent.id) == sent.title
    if "\n" not in pr_title and "\r" not in pr_title and len(pr_title) <= 512 and pr_title.strip():
        (pr_row,) = [a for a in store.by_id("activities").values() if a["type"] == "pr"]
        assert activities.from_row(pr_row).title == pr_title
    stats = next(iter(store.by_id("user_stats").values()))
    assert stats["commit_count"] == 2  # no "multiply" reached a total
    _no_operator_anywhere(store)


def test_a_delivery_the_store_refuses_fails_for_good_with_422_and_is_not_replayed() -> None:
    clock = FakeClock()
    store = MemoryStore(clock)
    store.fail("tx_commit", error=StoreRejectedError('Invalid document structure: Attribute "title" has invalid value'))
    ingest = WebhookIngest(store, secret=SECRET, clock=clock)
    body = body_of(multi_commit_push(2))
    with pytest.raises(UnprocessableError) as info:
        ingest.handle(body, headers("push", body, delivery="poison"))
    assert info.value.status == 422  # GitHub is not asked to try again: the same body would fail the same way
    (record,) = store.by_id("webhook_deliveries").values()
    assert record["status"] == "failed"
    assert record["error"].startswith("permanent: ")
    assert DeliveryLedger(store).kept(100) == []  # the replay script leaves it alone
    assert store.by_id("activities") == {}
