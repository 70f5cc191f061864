"""The carbon-calculator function on the local stack (real SQLite, real HTTP over loopback, the real
emission-factor resolver over the shipped data): the scheduled sweep, the user's actions, idempotent
recalculation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from appwrite.query import Query
from appwrite.services.functions import Functions

from ecotrace.adapters.appwrite_store import AppwriteStore
from ecotrace.domain.carbon import calculation_id, default_methodology
from ecotrace.domain.models import Activity
from ecotrace.tables.activities import to_row as activity_row
from ecotrace_local.testing import StackHandle
from tests.integration.project_stack import project_stack

ROOT = Path(__file__).resolve().parents[2]
FN = "carbon-calculator"
VERSION = default_methodology().version


@pytest.fixture(scope="module")
def module_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackHandle]:
    with project_stack(tmp_path_factory.mktemp("carbon-stack"), functions=[FN]) as handle:
        yield handle


def activity(id_: str, user: str = "gh_1", **kw: Any) -> Activity:
    fields: dict[str, Any] = {
        "id": id_,
        "user_id": user,
        "github_login": user,
        "type": "ci_run",
        "repo_id": "42",
        "repo_full_name": "octo/repo",
        "external_id": id_,
        "source_event": "workflow_job",
        "timestamp": datetime(2026, 11, 25, 12, tzinfo=UTC),
        "duration_s": 600,
        "runner_labels": ["ubuntu-latest"],
        "details": {"repo_private": False},
    }
    fields.update(kw)
    return Activity(**fields)


def person(store: AppwriteStore, user_id: str, account: str, stats_kg: float = 0.0) -> None:
    store.create("users", user_id, {"github_id": user_id[3:], "username": user_id, "account_id": account})
    store.create("user_stats", user_id, {"user_id": user_id, "github_login": user_id, "carbon_kg": stats_kg})


def create(store: AppwriteStore, a: Activity, account: str = "ada") -> None:
    row = activity_row(a, [f'read("user:{account}")'])
    store.create("activities", a.id, {k: v for k, v in row.items() if k != "$id"}, row["$permissions"])


def calculated(stack: StackHandle, store: AppwriteStore, activity_id: str) -> dict[str, Any]:
    """The activity's row once the calculator's schedule has run (its sweep fills in rows without carbon)."""
    row = store.get("activities", activity_id)
    if row is None or row.get("methodology_version") != VERSION:
        execution = stack.stack.functions.scheduler.fire_next_due(wait=True)
        assert execution is not None
        row = store.get("activities", activity_id)
    assert row is not None
    assert row.get("methodology_version") == VERSION, f"{activity_id} was not calculated"
    return row


def execute(stack: StackHandle, body: Any, user: str = "ada") -> tuple[int, dict[str, Any]]:
    execution = Functions(stack.user_client(user)).create_execution(FN, body=json.dumps(body))
    return execution.responsestatuscode, json.loads(execution.responsebody)


def comparable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(
        ({k: v for k, v in r.items() if k not in ("$createdAt", "$updatedAt", "$sequence")} for r in rows),
        key=lambda r: str(r["$id"]),
    )


def test_an_activity_left_without_carbon_gets_it_from_the_scheduled_sweep(
    stack: StackHandle, store: AppwriteStore
) -> None:
    person(store, "gh_1", "ada", stats_kg=1.0)
    create(store, activity("job-1"))
    row = calculated(stack, store, "job-1")
    # golden example 1: the shipped azure:eastus factor is the CCF value 415.755 g/kWh
    assert row["carbon_kg"] == pytest.approx(0.00096220518, rel=1e-6)
    assert row["calculation_id"] == calculation_id("job-1", VERSION)
    calc = store.get("calculations", calculation_id("job-1", VERSION))
    assert calc is not None
    assert calc["grid_intensity_g_per_kwh"] == pytest.approx(415.755)
    assert (calc["methodology_version"], row["methodology_version"]) == (VERSION, VERSION)  # on both rows
    assert (calc["carbon_kg_low"], calc["carbon_kg_high"]) == (row["carbon_kg_low"], row["carbon_kg_high"])
    assert calc["confidence"] == row["calculation_confidence"] == "medium"
    assert json.loads(calc["emission_factor"])["region"] == "azure:eastus"
    assert calc["$permissions"] == ['read("user:ada")']
    stats = store.get("user_stats", "gh_1")
    assert stats is not None
    assert stats["carbon_kg"] == pytest.approx(1.0 + row["carbon_kg"])


def test_users_calculate_their_own_activities_only(stack: StackHandle, store: AppwriteStore) -> None:
    person(store, "gh_1", "ada")
    person(store, "gh_2", "bob")
    create(store, activity("mine"), "ada")
    create(store, activity("theirs", "gh_2"), "bob")
    calculated(stack, store, "mine")
    calculated(stack, store, "theirs")
    status, body = execute(stack, {"action": "calculate", "activity_id": "mine"})
    assert (status, body["result"]["activity_id"]) == (200, "mine")
    status, body = execute(stack, {"action": "calculate", "activity_id": "theirs"})
    assert (status, body["error"]) == (404, "not_found")


def test_recalculation_is_idempotent(stack: StackHandle, store: AppwriteStore) -> None:
    person(store, "gh_1", "ada")
    for i in range(6):
        create(store, activity(f"a{i}", duration_s=60 * (i + 1)))
    for i in range(6):
        calculated(stack, store, f"a{i}")
    for i in (1, 3, 4):  # as if calculated with an older method
        store.update("activities", f"a{i}", {"methodology_version": "2025.1.1", "carbon_kg": 0.5})
    status, first = execute(stack, {"action": "recalculate"})
    assert (status, first["done"], first["recalculated"], first["checked"]) == (200, True, 3, 6)
    rows = {t: comparable(store.find(t, [Query.limit(100)])) for t in ("activities", "calculations", "user_stats")}
    assert {r["methodology_version"] for r in rows["activities"]} == {VERSION}
    assert len(rows["calculations"]) == 6  # one row per activity and version, upserted
    status, second = execute(stack, {"action": "recalculate"})
    assert (status, second["recalculated"]) == (200, 0)
    again = {t: comparable(store.find(t, [Query.limit(100)])) for t in rows}
    assert again == rows


def test_estimate_stores_nothing(stack: StackHandle, store: AppwriteStore) -> None:
    body = {
        "action": "estimate",
        "activity": {"type": "ci_run", "duration_s": 600, "runner_labels": ["linux-64-cores"]},
    }
    status, answer = execute(stack, body)
    assert status == 200
    assert answer["result"]["carbon_kg"] == pytest.approx(16 * 0.00096220518, rel=1e-6)
    assert store.find("calculations") == []


def test_bad_requests_are_named(stack: StackHandle) -> None:
    status, body = execute(stack, {"action": "estimate", "activity": {"type": "ci_run", "duration_s": -5}})
    assert (status, body["error"]) == (400, "invalid_request")
    assert "activity.duration_s" in body["message"]


def test_a_private_repository_job_is_calculated_on_the_private_runner(stack: StackHandle, store: AppwriteStore) -> None:
    person(store, "gh_1", "ada")
    create(store, activity("private-job", details={"repo_private": True}))
    create(store, activity("unknown-job", details={}))
    private = calculated(stack, store, "private-job")
    unknown = calculated(stack, store, "unknown-job")
    # the 2-vCPU, 7 GB private-repository runner: 0.4489 g for 10 minutes (tests/unit/carbon/test_repo_visibility.py)
    assert private["carbon_kg"] == pytest.approx(0.00044891484, rel=1e-6)
    assert unknown["carbon_kg"] == pytest.approx(0.00096220518, rel=1e-6)  # public 4-vCPU runner assumed
    calc = store.get("calculations", calculation_id("unknown-job", VERSION))
    assert calc is not None
    assert any("repository visibility unknown" in r for r in json.loads(calc["confidence_reasons"]))


def test_recalculation_resumes_after_its_cursor_and_pages_through_everything(
    stack: StackHandle, store: AppwriteStore
) -> None:
    person(store, "gh_1", "ada")
    person(store, "gh_2", "bob")
    ids = [f"r{i:02d}" for i in range(55)]  # more than one page (50)
    for i, id_ in enumerate(ids):
        create(store, activity(id_, duration_s=30 + i))
    create(store, activity("bobs", "gh_2"), "bob")
    for id_ in [*ids, "bobs"]:
        calculated(stack, store, id_)
    for id_ in [*ids, "bobs"]:
        store.update("activities", id_, {"methodology_version": "2025.1.1"})
    # resuming after r49: only r50..r54 are the caller's to do
    status, part = execute(stack, {"action": "recalculate", "cursor": "r49"})
    assert (status, part["done"], part["checked"], part["recalculated"]) == (200, True, 5, 5)
    versions = {r["$id"]: r["methodology_version"] for r in store.find("activities", [Query.limit(100)])}
    assert {i for i, v in versions.items() if v == VERSION} == set(ids[50:])
    # from the start: two pages, the other 50 recalculated; bob's activity is not ada's to recalculate
    status, rest = execute(stack, {"action": "recalculate"})
    assert (status, rest["done"], rest["checked"], rest["recalculated"]) == (200, True, 55, 50)
    versions = {r["$id"]: r["methodology_version"] for r in store.find("activities", [Query.limit(100)])}
    assert versions.pop("bobs") == "2025.1.1"
    assert set(versions.values()) == {VERSION}
