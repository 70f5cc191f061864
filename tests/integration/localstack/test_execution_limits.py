"""What a guest (or any caller without a key) can make the stack hold (issue 14, item 5): scheduled executions are
bounded in how far ahead, how many wait per caller and function, and how many body bytes wait in all; queued async
executions likewise; bodies and headers as Appwrite bounds them; an execution record's logs as Appwrite truncates
them; and a ``scheduledAt`` that arrives while the stack shuts down is refused, not silently dropped. Through the
real SDK (``Functions.create_execution``) and raw HTTP, as the attack did."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from appwrite.exception import AppwriteException
from appwrite.services.functions import Functions

from ecotrace_local.runtime import quotas
from ecotrace_local.testing import StackHandle
from tests.integration.localstack.fn_samples import sample_stack


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[StackHandle]:
    """A fresh stack per test: what is pending belongs to one test only."""
    with sample_stack(tmp_path) as handle:
        yield handle


def _ahead(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


def _refusal(call: object) -> tuple[int, str]:
    with pytest.raises(AppwriteException) as err:
        call()  # type: ignore[operator]
    return err.value.code, str(err.value.type)


def test_a_guest_cannot_schedule_300_days_ahead(stack: StackHandle) -> None:
    guest = Functions(stack.guest_client())
    assert _refusal(lambda: guest.create_execution("echo", body="x", xasync=True, scheduled_at=_ahead(days=300))) == (
        400,
        "general_bad_request",
    )
    assert stack.stack.functions.scheduler.pending_one_offs() == []
    # Within the bound it is accepted.
    accepted = guest.create_execution("echo", xasync=True, scheduled_at=_ahead(days=quotas.MAX_SCHEDULE_AHEAD_DAYS - 1))
    assert accepted.status.value == "scheduled"


def test_pending_scheduled_executions_are_bounded_per_caller_and_function(stack: StackHandle) -> None:
    guest = Functions(stack.guest_client())
    body = "b" * (2 * 1024 * 1024)  # the attack's 2 MB bodies
    for _ in range(quotas.MAX_PENDING_SCHEDULED):
        guest.create_execution("echo", body=body, xasync=True, scheduled_at=_ahead(hours=1))
    assert _refusal(lambda: guest.create_execution("echo", body=body, xasync=True, scheduled_at=_ahead(hours=1))) == (
        429,
        "general_rate_limit_exceeded",
    )
    # Another function, another caller, and the project key are each counted on their own.
    assert guest.create_execution("raw", xasync=True, scheduled_at=_ahead(hours=1)).status.value == "scheduled"
    alice = Functions(stack.user_client("alice"))
    assert alice.create_execution("echo", xasync=True, scheduled_at=_ahead(hours=1)).status.value == "scheduled"
    keyed = Functions(stack.client())
    assert keyed.create_execution("echo", xasync=True, scheduled_at=_ahead(hours=1)).status.value == "scheduled"
    assert len(stack.stack.functions.scheduler.pending_one_offs()) == quotas.MAX_PENDING_SCHEDULED + 3


def test_the_bytes_waiting_in_all_are_bounded(stack: StackHandle) -> None:
    """Many callers (users, or guests from many addresses) together cannot park more than a bounded amount."""
    body = "b" * (9 * 1024 * 1024)
    answers = []
    for index in range(12):
        functions = Functions(stack.user_client(f"user{index}"))
        try:
            functions.create_execution("echo", body=body, xasync=True, scheduled_at=_ahead(hours=1))
            answers.append((202, "accepted"))
        except AppwriteException as exc:
            answers.append((exc.code, str(exc.type)))
    accepted = answers.count((202, "accepted"))
    assert accepted == quotas.MAX_PENDING_BYTES // len(body)
    assert answers[accepted:] == [(429, "general_rate_limit_exceeded")] * (12 - accepted)


def test_a_body_past_10_mib_of_utf8_is_refused(stack: StackHandle) -> None:
    """Appwrite's 10 MiB execution body, counted in bytes: 3 million four-byte characters are 12 MiB."""
    headers = {"x-appwrite-project": stack.project_id}
    response = httpx.post(
        f"{stack.endpoint}/functions/echo/executions",
        json={"body": "\U0001f600" * 3_000_000, "async": True},
        headers=headers,
        timeout=60,
    )
    assert (response.status_code, response.json()["type"]) == (400, "general_argument_invalid")
    assert "`body`" in response.json()["message"]
    too_many_header_bytes = {"x-big": "h" * 20_000}
    response = httpx.post(
        f"{stack.endpoint}/functions/echo/executions",
        json={"body": "", "headers": too_many_header_bytes},
        headers=headers,
        timeout=10,
    )
    assert (response.status_code, response.json()["type"]) == (400, "general_argument_invalid")
    assert "`headers`" in response.json()["message"]


def test_a_scheduled_at_during_shutdown_is_refused_not_lost(stack: StackHandle) -> None:
    stack.stack.stop()  # what the server's lifespan shutdown runs; HTTP is still being answered meanwhile
    guest = Functions(stack.guest_client())
    status = _refusal(lambda: guest.create_execution("echo", xasync=True, scheduled_at=_ahead(minutes=5)))
    assert status[0] == 503
    listed = Functions(stack.client()).list_executions("echo")
    assert [e for e in listed.executions if e.status.value == "scheduled"] == []


def test_queued_async_executions_are_bounded_per_caller_and_function(stack: StackHandle) -> None:
    functions = stack.stack.functions
    gate = threading.Event()
    workers = functions._background._max_workers  # occupy every worker: what the guest sends now waits
    blockers = [functions._background.submit(gate.wait, 30) for _ in range(workers)]
    try:
        guest = Functions(stack.guest_client())
        for _ in range(quotas.MAX_PENDING_ASYNC):
            assert guest.create_execution("echo", body="x" * 100_000, xasync=True).status.value == "waiting"
        assert _refusal(lambda: guest.create_execution("echo", xasync=True)) == (429, "general_rate_limit_exceeded")
        assert Functions(stack.client()).create_execution("echo", xasync=True).status.value == "waiting"
    finally:
        gate.set()
    for blocker in blockers:
        blocker.result(timeout=10)
    # Once they have run, the guest may queue again.
    deadline = time.monotonic() + 20
    while functions.pending.held_bytes() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert functions.pending.held_bytes() == 0
    assert Functions(stack.guest_client()).create_execution("echo", xasync=True).status.value == "waiting"
