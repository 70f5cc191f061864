"""On the local stack, with the real SDK: rate limits shared by concurrent executions (429 with Retry-After past
the budget, accepted again after the window), per address across users, per hook on the webhook without losing
a delivery; and a secret rotation (either secret during the window, only the new one after it)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ecotrace.adapters.appwrite_store import AppwriteStore
from ecotrace.clock import to_iso
from ecotrace_local.testing import StackHandle
from scripts import replay_deliveries
from tests.fakes.electricity_maps import FakeElectricityMaps
from tests.fakes.github_api import FakeGitHub
from tests.integration.project_stack import project_stack
from tests.integration.trust.conftest import trust_env
from tests.integration.trust.trust_world import (
    ADA,
    BOB,
    PREVIOUS_SECRET,
    WEBHOOK_SECRET,
    deliver,
    execute,
    push,
    restored_environment,
)

WINDOW_MS = 4000
USER_BUDGET = 4
IP_BUDGET = 6
HOOK_BUDGET = 2
ROTATION_S = 6.0


@pytest.fixture(scope="module")
def module_stack(
    github: FakeGitHub, em: FakeElectricityMaps, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StackHandle]:
    env = trust_env(
        github,
        em,
        RATE_LIMIT_WINDOW_MS=str(WINDOW_MS),
        RATE_LIMIT_MAX_REQUESTS=str(USER_BUDGET),
        RATE_LIMIT_IP_MAX_REQUESTS=str(IP_BUDGET),
        RATE_LIMIT_WEBHOOK_MAX_REQUESTS=str(HOOK_BUDGET),
    )
    with restored_environment(), project_stack(tmp_path_factory.mktemp("limits"), env=env) as handle:
        yield handle


def at_window_start() -> None:
    """Wait for a fresh window (windows are aligned to the epoch) with most of it still ahead."""
    now_ms = time.time() * 1000
    left = WINDOW_MS - now_ms % WINDOW_MS
    time.sleep(left / 1000 + 0.05)


def health(stack: StackHandle, client: Any) -> tuple[int, Any, dict[str, str]]:
    status, answer, execution = execute(stack, client, "api-integrations", {"action": "health"})
    return status, answer, {h.name.lower(): h.value for h in execution.responseheaders}


def test_concurrent_executions_share_one_budget_and_it_recovers_after_the_window(stack: StackHandle) -> None:
    client = stack.user_client(ADA.account)
    at_window_start()
    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(lambda _: health(stack, client), range(10)))
    statuses = sorted(status for status, _, _ in results)
    assert statuses == [200] * USER_BUDGET + [429] * (10 - USER_BUDGET)
    refused = [(answer, headers) for status, answer, headers in results if status == 429]
    for answer, headers in refused:
        assert answer["error"] == "rate_limited"
        assert answer["details"]["scope"] == "user"
        assert 1 <= int(headers["retry-after"]) <= WINDOW_MS // 1000
        assert int(headers["retry-after"]) == answer["details"]["retry_after_s"]
    time.sleep(max(int(h["retry-after"]) for _, h in refused) + 0.2)
    assert health(stack, client)[0] == 200


def test_one_address_is_limited_across_users(stack: StackHandle) -> None:
    ada, bob = stack.user_client(ADA.account), stack.user_client(BOB.account)
    at_window_start()
    assert [health(stack, ada)[0] for _ in range(USER_BUDGET + 1)] == [200] * USER_BUDGET + [429]
    answers = [health(stack, bob) for _ in range(IP_BUDGET - USER_BUDGET + 1)]
    assert [a[0] for a in answers] == [200] * (IP_BUDGET - USER_BUDGET) + [429]
    assert answers[-1][1]["details"]["scope"] == "ip"


def test_the_hook_limit_answers_429_and_the_refused_delivery_is_counted_by_a_replay(
    stack: StackHandle, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    at_window_start()
    bodies = [push(ADA, [(ADA, f"{i:02d}" * 20, f"commit {i}")]) for i in range(HOOK_BUDGET + 1)]
    answers = [deliver(stack, "push", body, f"d-limit-{i}") for i, body in enumerate(bodies)]
    assert [a.status_code for a in answers] == [200] * HOOK_BUDGET + [429]
    refused = answers[-1]
    assert 1 <= int(refused.headers["retry-after"]) <= WINDOW_MS // 1000
    assert refused.json()["details"]["delivery"] == "kept"
    store = AppwriteStore(stack.client())
    assert len(list(store.iterate("activities"))) == HOOK_BUDGET
    env = {
        "APPWRITE_ENDPOINT": stack.endpoint,
        "APPWRITE_PROJECT_ID": stack.project_id,
        "APPWRITE_API_KEY": stack.api_key,
        "GITHUB_WEBHOOK_SECRET": WEBHOOK_SECRET,
    }
    assert replay_deliveries.main([], env=env) == 0
    assert "processed" in capsys.readouterr().out
    assert len(list(store.iterate("activities"))) == HOOK_BUDGET + 1
    assert {r["status"] for r in store.iterate("webhook_deliveries")} == {"processed"}


def test_either_secret_is_accepted_during_the_rotation_and_only_the_new_one_after(
    github: FakeGitHub, em: FakeElectricityMaps, tmp_path: Any
) -> None:
    ends = datetime.now(UTC) + timedelta(seconds=ROTATION_S)
    env = trust_env(
        github,
        em,
        GITHUB_WEBHOOK_SECRET_PREVIOUS=PREVIOUS_SECRET,
        GITHUB_WEBHOOK_SECRET_PREVIOUS_UNTIL=to_iso(ends),
        ECOTRACE_RUN_SCHEDULES="0",
    )
    with restored_environment(), project_stack(tmp_path, functions=["github-webhook"], env=env) as stack:
        old = deliver(stack, "push", push(BOB, [(BOB, "c1" * 20, "old")]), "d-old", secret=PREVIOUS_SECRET)
        new = deliver(stack, "push", push(BOB, [(BOB, "c2" * 20, "new")]), "d-new", secret=WEBHOOK_SECRET)
        if datetime.now(UTC) >= ends:
            pytest.fail("the rotation window ended before the first deliveries were answered: raise ROTATION_S")
        assert (old.status_code, old.json()["status"], old.json()["signature"]) == (200, "processed", "previous_secret")
        assert new.status_code == 200
        assert "signature" not in new.json()
        time.sleep(max(0.0, (ends - datetime.now(UTC)).total_seconds()) + 0.2)
        late = deliver(stack, "push", push(BOB, [(BOB, "c3" * 20, "late")]), "d-late-old", secret=PREVIOUS_SECRET)
        assert (late.status_code, late.json()["error"]) == (401, "invalid_signature")
        assert deliver(stack, "push", push(BOB, [(BOB, "c4" * 20, "x")]), "d-late-new").status_code == 200
        stored = {r["delivery_id"] for r in AppwriteStore(stack.client()).iterate("webhook_deliveries")}
        assert stored == {"d-old", "d-new", "d-late-new"}
