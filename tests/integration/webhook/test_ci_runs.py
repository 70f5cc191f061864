"""CI on the local stack: jobs carry the energy, and their run never counts it again, in either order."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from ecotrace.adapters.appwrite_store import AppwriteStore
from ecotrace.domain.github import run_row_id
from ecotrace_local.testing import StackHandle
from tests.integration.webhook.wh_http import SECRET, post, rows, signed_headers
from tests.unit.webhook.wh_helpers import payload

JOB = "workflow_job/completed.success.with-organization.payload.json"
RUN = "workflow_run/completed.payload.json"


def _job(job_id: int, minutes: int) -> dict[str, Any]:
    data = payload(JOB)
    data["workflow_job"].update(id=job_id, run_id=777, run_attempt=1)
    data["workflow_job"]["started_at"] = "2021-08-05T10:00:00Z"
    data["workflow_job"]["completed_at"] = f"2021-08-05T10:{minutes:02d}:00Z"
    return data


def _run() -> dict[str, Any]:
    data = payload(RUN)
    data["workflow_run"].update(id=777, run_attempt=1)
    data["workflow_run"]["run_started_at"] = "2021-08-05T10:00:00Z"
    data["workflow_run"]["updated_at"] = "2021-08-05T10:09:00Z"
    data["repository"] = copy.deepcopy(payload(JOB)["repository"])
    data["sender"] = copy.deepcopy(payload(JOB)["sender"])
    return data


def _deliver(stack: StackHandle, event: str, data: dict[str, Any], guid: str) -> None:
    body = json.dumps(data).encode()
    response = post(stack, body, signed_headers(SECRET, event, body, delivery=guid))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("order", ["jobs-first", "run-first"])
def test_ci_minutes_come_from_the_jobs_whatever_the_order(stack: StackHandle, store: AppwriteStore, order: str) -> None:
    steps = [("workflow_job", _job(1, 2), "j1"), ("workflow_job", _job(2, 4), "j2")]
    run_step = ("workflow_run", _run(), "r1")
    steps = [*steps, run_step] if order == "jobs-first" else [run_step, *steps]
    for event, data, guid in steps:
        _deliver(stack, event, data, guid)
    (stats,) = rows(store, "user_stats").values()
    assert (stats["ci_run_count"], stats["ci_minutes"]) == (2, 6.0)
    run = rows(store, "activities")[run_row_id(payload(JOB)["repository"]["id"], 777, 1)]
    assert run["counted"] is False
    assert run["duration_s"] == 540.0
