"""The leaderboard-updater function on the local stack (real SQLite, real HTTP over loopback): executions
with the API key and by the schedule, the rows a leaderboard reader sees, and runs that change nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from appwrite.exception import AppwriteException
from appwrite.query import Query
from appwrite.services.functions import Functions

from ecotrace.adapters.appwrite_store import AppwriteStore
from ecotrace.clock import to_iso, utc_now
from ecotrace.domain.models import Activity
from ecotrace.domain.ranking import PeriodType, period_for
from ecotrace.ports import Create
from ecotrace.services.rollups import RollupWriter
from ecotrace.tables.activities import to_row as activity_row
from ecotrace_local.testing import StackHandle
from tests.integration.project_stack import project_stack

ROOT = Path(__file__).resolve().parents[2]
FN = "leaderboard-updater"
NOW = datetime(2026, 11, 25, 14, tzinfo=UTC)  # Wednesday of ISO week 2026-W48


@pytest.fixture(scope="module")
def module_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackHandle]:
    with project_stack(tmp_path_factory.mktemp("leaderboard-stack"), functions=[FN]) as handle:
        yield handle


def seed(store: AppwriteStore, now: datetime, copies: int = 1) -> None:
    """Five developers' work on ``now``'s day; gh_5 worked the Monday before; one bot; one pending row. Each
    activity is recorded as every writer records it: its row and its rollups in one transaction. ``copies``: the
    same work ``copies`` times over (more activities of the same people on the same days)."""
    today = now.replace(hour=1, minute=0, second=0, microsecond=0)
    specs: list[tuple[str, str, datetime, float | None, dict[str, Any]]] = [
        ("gh_1", "commit", today, 0.010, {"lines_added": 900, "lines_deleted": 100}),
        ("gh_1", "ci_run", today, 0.030, {"duration_s": 900.0}),
        ("gh_2", "commit", today, 0.004, {"lines_added": 40, "lines_deleted": 0}),
        ("gh_2", "pr", today, None, {}),  # waiting for its carbon result
        ("gh_3", "deployment", today, 0.500, {}),
        ("gh_3", "commit", today, 0.001, {"lines_added": 10, "lines_deleted": 0}),
        ("gh_4", "commit", today, 0.001, {"github_login": "dependabot[bot]", "is_bot": True}),
        ("gh_5", "commit", today - timedelta(days=2), 0.002, {"lines_added": 150, "lines_deleted": 50}),
        ("gh_1", "ci_run", today, 0.090, {"counted": False}),  # a run whose jobs carry the energy
        ("gh_6", "ci_run", today, 0.001, {"duration_s": 60.0}),  # only CI: no lines, not ranked
    ]
    for copy in range(copies):
        for i, (user, kind, when, carbon, extra) in enumerate(specs):
            fields = dict(extra)
            activity = Activity(
                id=f"act-{i}-{copy}",
                user_id=user,
                github_login=fields.pop("github_login", user.replace("gh_", "dev")),
                type=kind,
                repo_id="42",
                repo_full_name="octo/repo",
                external_id=f"e{i}-{copy}",
                source_event="push",
                timestamp=when,
                carbon_kg=carbon,
                **fields,
            )
            row = Create("activities", activity.id, activity_row(activity))
            RollupWriter(store).apply([(None, activity)], with_writes=[row])


def board(store: AppwriteStore, period_type: str, period_key: str) -> list[dict[str, Any]]:
    return store.find(
        "leaderboards",
        [
            Query.equal("period_type", period_type),
            Query.equal("period_key", period_key),
            Query.order_asc("rank"),
            Query.limit(100),
        ],
    )


def execute(stack: StackHandle, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    execution = Functions(stack.client()).create_execution(FN, body=json.dumps(body))
    return execution.responsestatuscode, json.loads(execution.responsebody)


def test_an_api_key_execution_ranks_the_seeded_activities(stack: StackHandle, store: AppwriteStore) -> None:
    seed(store, NOW)
    status, result = execute(stack, {"now": to_iso(NOW)})
    assert status == 200, result
    daily = board(store, "daily", "2026-11-25")
    # carbon per kloc changed: gh_1 0.04 kg / 1 kloc, gh_2 0.004 / 0.04, gh_3 0.501 / 0.01; the bot and the
    # CI-only gh_6 are not ranked
    assert [(r["rank"], r["user_id"]) for r in daily] == [(1, "gh_1"), (2, "gh_2"), (3, "gh_3")]
    assert [r["percentile"] for r in daily] == [100.0, 50.0, 0.0]
    gh_1 = daily[0]
    assert gh_1["$id"] == "daily_2026-11-25_gh_1"
    assert gh_1["carbon_kg"] == pytest.approx(0.04)  # the counted=False run is not added again
    assert (gh_1["activity_count"], gh_1["commit_count"], gh_1["ci_run_count"]) == (2, 1, 1)
    assert gh_1["ci_minutes"] == pytest.approx(15.0)
    assert gh_1["carbon_per_kloc_kg"] == pytest.approx(0.04)
    weekly = board(store, "weekly", "2026-W48")
    assert [r["user_id"] for r in weekly] == ["gh_5", "gh_1", "gh_2", "gh_3"]
    assert [r["user_id"] for r in board(store, "all_time", "all")] == ["gh_5", "gh_1", "gh_2", "gh_3"]
    assert result["rollup_rows_read"] == 4 + 5 + 5 + 5  # one per person with counted work, per period
    assert result["rows_written"] == 3 + 4 + 4 + 4
    assert result["users_ranked"] == 4


def test_a_second_run_writes_nothing_and_a_drop_out_is_removed(stack: StackHandle, store: AppwriteStore) -> None:
    seed(store, NOW)
    assert execute(stack, {"now": to_iso(NOW), "periods": ["daily"]})[0] == 200
    before = {r["$id"]: r["$updatedAt"] for r in board(store, "daily", "2026-11-25")}
    status, again = execute(stack, {"now": to_iso(NOW), "periods": ["daily"]})
    assert status == 200
    assert (again["rows_written"], again["rows_removed"]) == (0, 0)
    assert {r["$id"]: r["$updatedAt"] for r in board(store, "daily", "2026-11-25")} == before

    store.create("users", "gh_2", {"github_id": "2", "username": "dev2", "leaderboard_visible": False})  # opts out
    status, third = execute(stack, {"now": to_iso(NOW), "periods": ["daily"]})
    assert status == 200
    assert third["rows_removed"] == 1
    assert [(r["rank"], r["user_id"]) for r in board(store, "daily", "2026-11-25")] == [(1, "gh_1"), (2, "gh_3")]


def test_the_schedule_refreshes_the_current_periods(stack: StackHandle, store: AppwriteStore) -> None:
    now = utc_now()
    seed(store, now)
    execution = stack.stack.functions.scheduler.fire_next_due(wait=True)
    assert execution is not None
    assert (execution.trigger, execution.status_code) == ("schedule", 200), execution.errors
    today = period_for(PeriodType.DAILY, now)
    ranked = [r["user_id"] for r in board(store, "daily", today.key)]
    assert ranked == ["gh_1", "gh_2", "gh_3"]  # seeded at 01:00 UTC today
    assert [r["user_id"] for r in board(store, "all_time", "all")] == ["gh_5", "gh_1", "gh_2", "gh_3"]


def test_bad_requests_and_signed_in_users_are_refused(stack: StackHandle) -> None:
    status, body = execute(stack, {"periods": ["yearly"]})
    assert status == 400
    assert body["error"] == "invalid_request"
    with pytest.raises(AppwriteException) as info:  # execute is empty in appwrite.json
        Functions(stack.user_client("ada")).create_execution(FN, body="{}")
    assert info.value.code == 401


def test_a_user_labelled_a_bot_is_not_ranked(stack: StackHandle, store: AppwriteStore) -> None:
    seed(store, NOW)
    store.create("users", "gh_3", {"github_id": "3", "username": "dev3", "is_bot": True})
    status, result = execute(stack, {"now": to_iso(NOW), "periods": ["daily"]})
    assert status == 200, result
    assert [r["user_id"] for r in board(store, "daily", "2026-11-25")] == ["gh_1", "gh_2"]


def test_a_run_makes_the_same_appwrite_requests_for_1x_and_5x_the_activities(
    stack: StackHandle, store: AppwriteStore
) -> None:
    measured: dict[int, list[tuple[int, int, int]]] = {}
    for copies in (1, 5):
        stack.reset()
        seed(store, NOW, copies=copies)
        assert len(list(store.iterate("activities", [Query.select(["$id"])]))) == 10 * copies
        for _ in range(2):  # a first run writes the entries, a second finds nothing changed
            stack.stack.request_log.clear()
            status, result = execute(stack, {"now": to_iso(NOW)})
            assert status == 200, result
            requests = stack.stack.request_log.count(path_pattern=r"^/v1/tablesdb/")
            measured.setdefault(copies, []).append((requests, result["rollup_rows_read"], result["rows_written"]))
    assert measured[1][0][0] > 0
    assert measured[1] == measured[5]  # the same requests, rows read and rows written whatever the history
