"""The backfill as deployed: the api-integrations function on the local stack starts it, continues it in its own
async executions until done, and the webhook function's deliveries of the same jobs count nothing again."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from appwrite.services.functions import Functions
from appwrite.services.tables_db import TablesDB

from ecotrace.adapters.appwrite_store import AppwriteStore
from ecotrace_local.testing import StackHandle
from scripts import backfill as script
from tests.fakes.github_api import FakeGitHub
from tests.integration.backfill.bf_helpers import REPO, populate
from tests.integration.project_stack import project_stack
from tests.integration.webhook.wh_http import SECRET, signed_headers

FN = "api-integrations"
ALICE_TOKEN = "gho_alice_on_the_stack"


@pytest.fixture(scope="module")
def fake_github() -> Iterator[FakeGitHub]:
    with FakeGitHub() as fake:
        yield fake


@pytest.fixture(scope="module")
def module_stack(fake_github: FakeGitHub, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackHandle]:
    env = {
        "GITHUB_TOKEN": fake_github.token,
        "GITHUB_API_URL": fake_github.base_url,
        "GITHUB_WEBHOOK_SECRET": SECRET,
        "ECOTRACE_BACKFILL_SLICE_CALLS": "3",  # a few requests per execution: the backfill needs several
    }
    workdir = tmp_path_factory.mktemp("backfill-stack")
    with project_stack(workdir, functions=[FN, "github-webhook"], env=env) as handle:
        yield handle


@pytest.fixture
def github(fake_github: FakeGitHub) -> FakeGitHub:
    fake_github.requests.clear()
    fake_github.runs.clear()
    fake_github.jobs.clear()
    fake_github.repos.clear()
    fake_github.orgs.clear()
    return fake_github


def _execute(client: Any, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    execution = Functions(client).create_execution(FN, body=json.dumps(body))
    return execution.responsestatuscode, json.loads(execution.responsebody)


def _wait_done(store: AppwriteStore, backfill_id: str, timeout_s: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        row = store.get("backfills", backfill_id)
        if row is not None and row["status"] in ("done", "failed"):
            return row
        time.sleep(0.2)
    raise AssertionError(f"backfill {backfill_id} did not finish: {store.get('backfills', backfill_id)}")


def test_the_function_continues_the_backfill_in_async_executions_until_done(
    stack: StackHandle, github: FakeGitHub
) -> None:
    made = populate(github, datetime.now(UTC), runs=3, jobs_per_run=2)
    status, answer = _execute(stack.client(), {"action": "backfill", "repositories": [REPO], "include_commits": False})
    assert status == 200, answer
    assert answer["backfill"]["status"] == "running"
    assert answer["slice"]["continued"] is True
    store = AppwriteStore(stack.client())
    row = _wait_done(store, answer["backfill"]["id"])

    assert (row["status"], row["jobs_imported"], row["runs_imported"]) == ("done", 6, 3)
    assert row["slices"] >= 3  # one execution could send three requests: the rest ran in continuations
    stats = store.get("user_stats", "gh_1001")
    assert stats is not None
    assert stats["ci_run_count"] == 6

    for index, job in enumerate(made.jobs):
        repository = {k: github.repos[REPO.lower()][k] for k in ("id", "full_name", "html_url", "private")}
        data = {"action": "completed", "workflow_job": job, "repository": repository, "sender": made.runs[0]["actor"]}
        body = json.dumps(data).encode()
        response = httpx.post(
            f"{stack.base_url}/functions/github-webhook/",
            content=body,
            headers=signed_headers(SECRET, "workflow_job", body, delivery=f"later-{index}"),
            timeout=30,
        )
        assert response.status_code == 200, response.text
        assert (response.json()["created"], response.json()["already_recorded"]) == (0, 1)
    again = store.get("user_stats", "gh_1001")
    assert again is not None
    assert (again["ci_run_count"], again["carbon_kg"]) == (stats["ci_run_count"], stats["carbon_kg"])


def test_a_user_starts_one_and_reads_its_progress_row(stack: StackHandle, github: FakeGitHub) -> None:
    populate(github, datetime.now(UTC), runs=1, jobs_per_run=1)
    github.add_user(ALICE_TOKEN, 1001, "alice")
    store = AppwriteStore(stack.client())
    user = stack.user_client("acct-alice")  # creates the Appwrite account
    store.create("users", "gh_1001", {"github_id": "1001", "username": "alice", "account_id": "acct-alice"})

    status, answer = _execute(
        user, {"action": "backfill", "repositories": [REPO], "github_token": ALICE_TOKEN, "include_commits": False}
    )
    assert status == 200, answer
    _wait_done(store, answer["backfill"]["id"])
    mine = TablesDB(user).get_row("ecotrace-main", "backfills", answer["backfill"]["id"])
    data = mine.model_dump(by_alias=True) if hasattr(mine, "model_dump") else mine
    values = {**data, **(data.get("data") or {})}
    assert values["status"] == "done"
    assert values["jobs_imported"] == 1

    status, refused = _execute(user, {"action": "backfill_continue", "backfill_id": answer["backfill"]["id"]})
    assert (status, refused["error"]) == (403, "forbidden")


def test_the_operator_script_runs_the_slices_itself(stack: StackHandle, github: FakeGitHub) -> None:

    populate(github, datetime.now(UTC), runs=2, jobs_per_run=2, commits=0)
    env = {
        "APPWRITE_ENDPOINT": stack.endpoint,
        "APPWRITE_PROJECT_ID": stack.project_id,
        "APPWRITE_API_KEY": stack.api_key,
        "GITHUB_TOKEN": github.token,
        "GITHUB_API_URL": github.base_url,
        "ECOTRACE_BACKFILL_SLICE_CALLS": "2",
    }
    assert script.main(["--repo", REPO, "--days", "30", "--no-commits"], env=env) == 0
    rows = AppwriteStore(stack.client()).find("backfills")
    assert [(r["status"], r["jobs_imported"], r["target"]) for r in rows] == [("done", 4, f"repos:{REPO}")]
    assert rows[0]["slices"] >= 2  # two requests per slice


def test_advise_reads_the_backfilled_schedule_and_says_what_history_is_missing(
    stack: StackHandle, github: FakeGitHub
) -> None:
    now = datetime.now(UTC)
    made = populate(github, now, runs=3, jobs_per_run=1, spacing=timedelta(days=1))
    for run in made.runs:
        run["event"] = "schedule"  # a nightly workflow
    status, answer = _execute(stack.client(), {"action": "backfill", "repositories": [REPO], "include_commits": False})
    assert status == 200, answer
    _wait_done(AppwriteStore(stack.client()), answer["backfill"]["id"])

    status, advice = _execute(stack.client(), {"action": "advise", "repository": REPO, "days": 30})
    assert status == 200, advice
    (repo,) = advice["repositories"]
    (flow,) = repo["time_shift"]["workflows"]
    assert (flow["workflow"], flow["zone"], flow["status"]) == ("CI", "US-MIDA-PJM", "not_enough_data")
    assert flow["trace"]["runs"] == 3
    assert flow["need"] == {"hours_covered": 12, "days_per_hour": 3}
