"""The webhook's scripts against the local stack: the README's first event, and replaying kept deliveries."""

from __future__ import annotations

import pytest

from ecotrace.adapters.appwrite_store import AppwriteStore
from ecotrace_local.testing import StackHandle
from scripts import replay_deliveries, send_test_event
from tests.fakes.github_api import FakeGitHub
from tests.integration.webhook.wh_http import SECRET, post, rows, signed_headers
from tests.unit.webhook.wh_helpers import body_of, multi_commit_push


def _env(stack: StackHandle) -> dict[str, str]:
    return {
        "APPWRITE_ENDPOINT": stack.endpoint,
        "APPWRITE_PROJECT_ID": stack.project_id,
        "APPWRITE_API_KEY": stack.api_key,
        "GITHUB_WEBHOOK_SECRET": SECRET,
    }


def test_first_event_creates_three_commits_and_a_second_run_counts_nothing_new(
    stack: StackHandle, store: AppwriteStore, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GITHUB_WEBHOOK_SECRET", SECRET)
    url = stack.base_url + "/functions/github-webhook/"
    assert send_test_event.main(["--url", url]) == 0
    assert "Activities created (3)" in capsys.readouterr().out
    assert len(rows(store, "activities")) == 3
    assert send_test_event.main(["--url", url]) == 0
    assert "already counted" in capsys.readouterr().out
    assert len(rows(store, "activities")) == 3


def test_wrong_secret_is_explained(
    stack: StackHandle, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GITHUB_WEBHOOK_SECRET", "not the function's secret")
    assert send_test_event.main(["--url", stack.base_url + "/functions/github-webhook/"]) == 1
    assert "same GITHUB_WEBHOOK_SECRET" in capsys.readouterr().out


def test_replay_script_finishes_deliveries_kept_during_an_outage(stack: StackHandle, store: AppwriteStore) -> None:
    outage = stack.stack.faults.add(method="PATCH", path_pattern=r"/transactions/[^/]+$", status=503, times=0)
    for i in range(2):
        body = body_of(multi_commit_push(3 + i))
        assert post(stack, body, signed_headers(SECRET, "push", body, delivery=f"outage-{i}")).status_code == 503
    stack.stack.faults.remove(outage)
    assert rows(store, "activities") == {}
    assert replay_deliveries.main([], env=_env(stack)) == 0
    assert len(rows(store, "activities")) == 4
    assert rows(store, "user_stats")["gh_21031067"]["commit_count"] == 4
    assert {r["status"] for r in rows(store, "webhook_deliveries").values()} == {"processed"}
    assert replay_deliveries.main([], env=_env(stack)) == 0  # nothing left, nothing changes
    assert rows(store, "user_stats")["gh_21031067"]["commit_count"] == 4


def test_github_redelivery_of_failed_deliveries(stack: StackHandle) -> None:
    with FakeGitHub() as github:
        github.add_delivery("Codertocat/Hello-World", 9, "ok-guid", 200)
        failed = github.add_delivery("Codertocat/Hello-World", 9, "failed-guid", 503)
        env = {**_env(stack), "GITHUB_TOKEN": github.token, "GITHUB_API_URL": github.base_url}
        argv = ["--github", "--repo", "Codertocat/Hello-World", "--hook-id", "9"]
        assert replay_deliveries.main(argv, env=env) == 0
        assert github.redelivered == [failed]
