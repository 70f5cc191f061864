"""User text through the real webhook on the local stack (issue 14 item 2): a ``display_title`` or commit message
that is operator JSON is stored as sent and changes no figure; a delivery the store refuses ends as a 422 and a
permanent failure, not a 503 on every replay."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecotrace.adapters.appwrite_store import AppwriteStore
from ecotrace.domain.github import extract
from ecotrace.services.ingest import DeliveryLedger
from ecotrace.tables import activities
from ecotrace_local.testing import StackHandle
from tests.integration.webhook.wh_http import SECRET, post, rows, signed_headers
from tests.unit.webhook.wh_helpers import body_of, multi_commit_push, payload

JOB = "workflow_job/completed.success.with-organization.payload.json"
RUN = "workflow_run/completed.payload.json"


def send(stack: StackHandle, event: str, data: dict[str, Any], delivery: str) -> int:
    body = body_of(data)
    return post(stack, body, signed_headers(SECRET, event, body, delivery=delivery)).status_code


def job_then_run(stack: StackHandle, title: str, run_id: int = 4242) -> dict[str, Any]:
    job = payload(JOB)
    job["workflow_job"].update(id=run_id + 1, run_id=run_id)
    run = payload(RUN)
    run["workflow_run"].update(id=run_id, display_title=title)
    run["repository"] = copy.deepcopy(job["repository"])
    assert send(stack, "workflow_job", job, f"job-{run_id}") == 200  # creates the run's placeholder
    assert send(stack, "workflow_run", run, f"run-{run_id}") == 200  # fills it in: an update of its title
    return run


def test_the_attack_from_the_issue_is_stored_as_text(stack: StackHandle, store: AppwriteStore) -> None:
    for i, title in enumerate(['{"method":"multiply","values":[3]}', '{"method":"increment"}']):
        run = job_then_run(stack, title, run_id=5000 + i)
        (filled,) = extract("workflow_run", run, "x").activities
        assert activities.from_row(rows(store, "activities")[filled.id]).title == title
    stats = next(iter(rows(store, "user_stats").values()))
    assert (stats["ci_run_count"], stats["activity_count"]) == (2, 2)  # the two jobs; nothing multiplied
    assert send(stack, "workflow_run", run, "run-5001") == 200  # a replay is a duplicate, not a 503


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    st.one_of(
        st.text(max_size=520),
        st.sampled_from(['{"method":"multiply","values":[10000000]}', ' {"method":"toggle"}', "\u2060x"]),
    ),
    st.text(min_size=1, max_size=200),
)
def test_any_title_is_stored_exactly_as_sent(
    stack: StackHandle, store: AppwriteStore, title: str, message: str
) -> None:
    stack.reset()
    run = job_then_run(stack, title)
    push = multi_commit_push(1)
    push["commits"][0]["message"] = message
    push["head_commit"] = copy.deepcopy(push["commits"][0])
    assert send(stack, "push", push, "push-1") == 200
    stored = rows(store, "activities")
    for event, data in (("workflow_run", run), ("push", push)):
        for sent in extract(event, data, "x").activities:
            assert activities.from_row(stored[sent.id]).title == sent.title


def test_a_delivery_the_store_refuses_ends_as_a_permanent_failure(stack: StackHandle, store: AppwriteStore) -> None:
    stack.stack.faults.add(method="PATCH", path_pattern=r"/transactions/[^/]+$", status=400, times=0)
    body = body_of(multi_commit_push(2))
    headers = signed_headers(SECRET, "push", body, delivery="poison-1")
    response = post(stack, body, headers)
    assert response.status_code == 422  # not a 503 GitHub would be asked to retry, forever
    (record,) = rows(store, "webhook_deliveries").values()
    assert record["status"] == "failed"
    assert record["error"].startswith("permanent: ")
    assert DeliveryLedger(store).kept(10) == []  # scripts/replay_deliveries.py leaves it alone
    stack.stack.faults.clear()
    assert post(stack, body, headers).status_code == 200  # a redelivery asked for by a person still works
