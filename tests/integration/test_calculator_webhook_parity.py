"""The webhook and the carbon-calculator give the same carbon for the same activity, on the local stack with
both real functions deployed: a signed GitHub delivery is ingested (carbon computed at ingest by the webhook),
then the owner asks the calculator to ``calculate`` the same activity and the figures and audit row agree.

Also: whether the webhook records repository visibility (``details.repo_private``) and what the calculator then
does with a private repository's job."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from appwrite.services.functions import Functions

from ecotrace.adapters.appwrite_store import AppwriteStore
from ecotrace.domain.carbon import default_methodology
from ecotrace.domain.signature import sign
from ecotrace_local.testing import StackHandle
from tests.integration.project_stack import project_stack

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "github-webhooks"
SECRET = "parity-test-secret"
VERSION = default_methodology().version
CARBON_COLUMNS = ("carbon_kg", "carbon_kg_low", "carbon_kg_high", "energy_kwh")
SAME_COLUMNS = ("calculation_confidence", "methodology_version", "calculation_id")
CALC_VOLATILE = ("$createdAt", "$updatedAt", "$sequence", "calculated_at")
DELIVERIES = [
    "workflow_job/completed.success.with-organization.payload.json",
    "push/with-new-branch.payload.json",
    "pull_request/opened.payload.json",
    "deployment_status/payload.json",
]


@pytest.fixture(scope="module")
def module_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackHandle]:
    functions = ["github-webhook", "carbon-calculator"]
    env = {"GITHUB_WEBHOOK_SECRET": SECRET}
    with project_stack(tmp_path_factory.mktemp("parity-stack"), functions=functions, env=env) as handle:
        yield handle


def deliver(stack: StackHandle, name: str, body: dict[str, Any] | None = None, delivery: str = "d-1") -> Any:
    raw = json.dumps(body).encode() if body is not None else (FIXTURES / name).read_bytes()
    headers = {
        "x-github-event": name.split("/")[0],
        "x-github-delivery": delivery,
        "x-github-hook-id": "1",
        "content-type": "application/json",
        "x-hub-signature-256": sign(SECRET, raw),
    }
    response = httpx.post(stack.base_url + "/functions/github-webhook/", content=raw, headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def own(store: AppwriteStore, account: str) -> None:
    """Link every GitHub user the webhook created to ``account`` (what sign-up does)."""
    for user in store.iterate("users"):
        store.update("users", str(user["$id"]), {"account_id": account})


def calculate(stack: StackHandle, activity_id: str, account: str = "ada") -> tuple[int, dict[str, Any]]:
    body = json.dumps({"action": "calculate", "activity_id": activity_id})
    execution = Functions(stack.user_client(account)).create_execution("carbon-calculator", body=body)
    return execution.responsestatuscode, json.loads(execution.responsebody)


def calc_row(store: AppwriteStore, calc_id: str) -> dict[str, Any]:
    row = store.get("calculations", calc_id)
    assert row is not None, calc_id
    out = {k: v for k, v in row.items() if k not in CALC_VOLATILE}
    factor = json.loads(out["emission_factor"])
    factor.pop("fetched_at", None)  # the resolver's own fetch time
    out["emission_factor"] = factor
    return out


def settle() -> None:
    """Give any execution the delivery might still start time to run (none should: the calculator has no row
    event any more, and the webhook already calculated what it wrote)."""
    time.sleep(0.5)


@pytest.mark.parametrize("name", DELIVERIES)
def test_webhook_and_calculator_give_the_same_carbon(stack: StackHandle, store: AppwriteStore, name: str) -> None:
    executions_before = Functions(stack.client()).list_executions("carbon-calculator").total
    answer = deliver(stack, name)
    settle()
    own(store, "ada")
    counted = [r for r in store.iterate("activities") if r.get("counted") is not False]
    assert counted, answer
    for ingested in counted:
        activity_id = str(ingested["$id"])
        # the webhook wrote carbon with the current method at ingest
        assert ingested["methodology_version"] == VERSION
        assert ingested["carbon_kg"] is not None
        assert ingested["carbon_kg"] > 0
        audit_before = calc_row(store, ingested["calculation_id"])
        # the calculator, asked to recompute the same activity, gets the same figures ...
        status, body = calculate(stack, activity_id)
        assert status == 200, body
        result = body["result"]
        for column in CARBON_COLUMNS:
            assert result[column] == pytest.approx(ingested[column], rel=1e-12), column
        assert result["confidence"] == ingested["calculation_confidence"]
        assert (result["methodology_version"], result["calculation_id"]) == (VERSION, ingested["calculation_id"])
        # ... and rewrites the activity and its audit row identically (one calculations row, same content)
        after = store.get("activities", activity_id)
        assert after is not None
        for column in CARBON_COLUMNS:
            assert after[column] == pytest.approx(ingested[column], rel=1e-12), column
        assert [after[c] for c in SAME_COLUMNS] == [ingested[c] for c in SAME_COLUMNS]
        assert after["calculated_at"] != ingested["calculated_at"]  # it really was recomputed and rewritten
        assert calc_row(store, ingested["calculation_id"]) == audit_before
    # one audit row per counted activity; a job's run placeholder (uncounted, energy in its jobs) gets none now
    # that no row event calculates every created row
    assert len(list(store.iterate("calculations"))) == len(counted)
    asked = Functions(stack.client()).list_executions("carbon-calculator").total - executions_before
    assert asked == len(counted)  # only the calculations asked for above ran: no execution per created row


def test_a_private_repository_job_through_the_webhook(stack: StackHandle, store: AppwriteStore) -> None:
    name = "workflow_job/completed.success.with-organization.payload.json"
    body = copy.deepcopy(json.loads((FIXTURES / name).read_bytes()))
    body["repository"]["private"] = True
    body["repository"]["visibility"] = "private"
    deliver(stack, name, body)
    settle()
    (job,) = [r for r in store.iterate("activities") if r.get("counted") is not False]
    details = json.loads(job["details"]) if isinstance(job["details"], str) else job["details"]
    audit = calc_row(store, job["calculation_id"])
    runner = json.loads(audit["inputs"])["runner"]
    reasons = json.loads(audit["confidence_reasons"])
    if details.get("repo_private") is True:
        # the webhook records visibility: the private 2-vCPU, 7 GB runner, no visibility caveat
        assert (runner["vcpu"], runner["memory_gb"]) == (2, 7)
        assert not any("visibility" in r for r in reasons)
    else:
        # it does not (yet): the public 4-vCPU runner is assumed and the result says so
        assert "repo_private" not in details
        assert (runner["vcpu"], runner["memory_gb"]) == (4, 16)
        assert any(r.startswith("medium: repository visibility unknown") for r in reasons)
