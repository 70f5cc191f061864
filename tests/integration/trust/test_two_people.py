"""Two people on the local stack: neither reads, changes, exports or erases the other's data, through any table
or any action, whatever headers a client forges; an export then an erasure leaves nothing that names the person;
opting out takes a person off the leaderboards at once and for good."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from appwrite.exception import AppwriteException
from appwrite.services.tables_db import TablesDB

from ecotrace.adapters.appwrite_store import AppwriteStore
from ecotrace.tables import per_person_tables
from ecotrace_local.testing import StackHandle
from tests.integration.trust.trust_world import (
    ADA,
    BOB,
    build_world,
    call_api,
    deliver,
    everything,
    execute,
    push,
    run_leaderboards,
    until_done,
)

DB = "ecotrace-main"
OWNED = ("users", "activities", "calculations", "user_stats")


def status_of(call: Any) -> int:
    try:
        call()
    except AppwriteException as exc:
        return int(exc.code or 0)
    return 200


def rows_of(stack: StackHandle, table: str, user_id: str) -> list[dict[str, Any]]:
    column = "$id" if table == "users" else "user_id"
    return [r for r in everything(stack)[table] if r.get(column) == user_id]


def mentions(rows: list[dict[str, Any]], traces: list[str]) -> list[str]:
    text = [json.dumps(row).lower() for row in rows]
    return [trace for trace in traces if any(trace.lower() in t for t in text)]


@pytest.fixture
def world(stack: StackHandle) -> StackHandle:
    build_world(stack)
    run_leaderboards(stack)
    return stack


def test_each_person_reads_only_their_own_rows_and_changes_none_directly(world: StackHandle) -> None:
    ada = TablesDB(world.user_client(ADA.account, email=ADA.email))
    for table in OWNED:
        theirs = {str(r["$id"]) for r in rows_of(world, table, BOB.user_id)}
        mine = {str(r["$id"]) for r in rows_of(world, table, ADA.user_id)}
        assert theirs, table
        assert mine, table
        listed = {row.id for row in ada.list_rows(DB, table).rows}
        assert listed == mine, table
        for row_id in theirs:
            assert status_of(lambda t=table, r=row_id: ada.get_row(DB, t, r)) == 404, table
            assert status_of(lambda t=table, r=row_id: ada.update_row(DB, t, r, {"github_login": "x"})) == 401, table
            assert status_of(lambda t=table, r=row_id: ada.delete_row(DB, t, r)) == 401, table
        for row_id in mine:  # her own rows change only through the functions
            assert status_of(lambda t=table, r=row_id: ada.delete_row(DB, t, r)) == 401, table
    assert status_of(lambda: ada.update_row(DB, "users", ADA.user_id, {"leaderboard_visible": False})) == 401
    assert {r["$id"] for r in everything(world)["users"]} == {ADA.user_id, BOB.user_id}


def test_actions_act_on_the_caller_even_with_a_forged_user_header(world: StackHandle) -> None:
    forged = {"x-appwrite-user-id": BOB.account}
    status, answer = call_api(world, ADA, {"action": "update_profile", "display_name": "Countess"}, headers=forged)
    assert status == 200
    assert answer["profile"]["user_id"] == ADA.user_id
    status, export = call_api(world, ADA, {"action": "export_my_data"}, headers=forged)
    assert status == 200
    assert export["user_ids"] == [ADA.user_id]
    exported = [row for rows in export["tables"].values() for row in rows]
    assert exported
    assert not mentions(exported, [BOB.user_id, BOB.login])
    assert rows_of(world, "users", BOB.user_id)[0]["display_name"] is None
    # A client cannot become a user on a function domain either: api-integrations and the calculator need a
    # signed-in caller, and headers do not make one.
    for function in ("api-integrations", "carbon-calculator"):
        response = httpx.post(
            f"{world.base_url}/functions/{function}/", json={"action": "export_my_data"}, headers=forged, timeout=30
        )
        assert response.status_code == 401, (function, response.text)
    # ... and the calculator does not compute someone else's activity for her.
    bobs = rows_of(world, "activities", BOB.user_id)[0]["$id"]
    status, answer, _ = execute(
        world,
        world.user_client(ADA.account),
        "carbon-calculator",
        {"action": "calculate", "activity_id": bobs},
        headers=forged,
    )
    assert status == 404, answer


def test_her_export_holds_her_data_and_the_deliveries_that_name_her_and_nothing_of_his(world: StackHandle) -> None:
    pages = until_done(world, ADA, {"action": "export_my_data"})
    tables: dict[str, list[dict[str, Any]]] = {}
    deliveries: list[dict[str, Any]] = []
    for page in pages:
        for table, rows in page["tables"].items():
            tables.setdefault(table, []).extend(rows)
        deliveries.extend(page["deliveries"])
    assert {t: len(tables.get(t, [])) for t in ("users", "user_stats", "activities", "calculations")} == {
        t: len(rows_of(world, t, ADA.user_id)) for t in ("users", "user_stats", "activities", "calculations")
    }
    assert tables["leaderboards"]
    assert all(r["user_id"] == ADA.user_id for r in tables["leaderboards"])
    assert not mentions([r for rows in tables.values() for r in rows], [BOB.user_id, BOB.login, BOB.email])
    named = {d["delivery_id"] for d in deliveries}
    assert named == {"d-ada-1", "d-ada-pr", "d-bob-1"}  # Bob's push carries a commit she wrote
    bobs = next(d for d in deliveries if d["delivery_id"] == "d-bob-1")
    assert any(place.get("value", {}).get("username") == ADA.login for place in bobs["places"])
    assert BOB.email not in json.dumps(bobs["places"])


def test_after_her_erasure_nothing_names_her_and_all_of_his_is_as_it_was(world: StackHandle) -> None:
    before = everything(world)
    counted = (*OWNED, "leaderboards", "rollups")
    bob_before = {t: sorted(r["$id"] for r in rows_of(world, t, BOB.user_id)) for t in counted}
    status, refused = call_api(world, ADA, {"action": "delete_my_data"})
    assert status == 400
    assert "confirm" in refused["message"]
    pages = until_done(world, ADA, {"action": "delete_my_data", "confirm": True})
    removed: dict[str, int] = {}
    for page in pages:
        for table, count in page["removed"].items():
            removed[table] = removed.get(table, 0) + count
    expected = {
        t: len([r for r in before[t] if r.get("$id" if t == "users" else "user_id") == ADA.user_id]) for t in counted
    }
    others = set(per_person_tables()) - set(expected)  # per-person tables she has no rows in (pending, backfills)
    assert removed == {**expected, **{t: 0 for t in others}, "activity_feed": 0}  # she never opted in to the feed
    assert all(expected.values())
    assert not any(r.get("user_id") == ADA.user_id for t in others for r in before[t])
    after = everything(world)
    for table, rows in after.items():
        assert not mentions(rows, ADA.traces()), table
    assert {t: sorted(r["$id"] for r in rows_of(world, t, BOB.user_id)) for t in counted} == bob_before
    bobs_delivery = next(r for r in after["webhook_deliveries"] if r["delivery_id"] == "d-bob-1")
    assert BOB.login in bobs_delivery["body"]
    assert "[erased]" in bobs_delivery["body"]
    # Bob's own export and erasure rights are untouched, and a second erasure of hers finds nothing.
    status, again = call_api(world, ADA, {"action": "delete_my_data", "confirm": True})
    assert (status, again["done"]) == (200, True)
    assert again["removed"] == {}
    status, export = call_api(world, BOB, {"action": "export_my_data"})
    assert status == 200
    assert export["tables"]["activities"]


def test_opting_out_takes_him_off_every_board_at_once_and_the_next_run_keeps_him_off(world: StackHandle) -> None:
    assert rows_of(world, "leaderboards", BOB.user_id)
    status, answer = call_api(world, BOB, {"action": "update_profile", "leaderboard_visible": False})
    assert status == 200
    assert answer["leaderboard_entries_removed"] > 0
    assert answer["profile"]["leaderboard_visible"] is False
    assert rows_of(world, "leaderboards", BOB.user_id) == []
    run_leaderboards(world)
    boards = everything(world)["leaderboards"]
    assert boards
    assert {r["user_id"] for r in boards} == {ADA.user_id}
    status, answer = call_api(world, BOB, {"action": "update_profile", "leaderboard_visible": True})
    run_leaderboards(world)
    assert rows_of(world, "leaderboards", BOB.user_id)


def test_the_profile_location_is_the_region_of_her_next_activity_with_the_reason(world: StackHandle) -> None:
    status, answer = call_api(
        world,
        ADA,
        {
            "action": "update_profile",
            "location": {"country": "DE"},
            "onboarding_completed": True,
            "preferences": {"units": "g"},
        },
    )
    assert status == 200, answer
    assert answer["profile"]["location"] == {"country": "DE", "region": "DE"}
    assert answer["profile"]["onboarding_completed"] is True
    assert deliver(world, "push", push(ADA, [(ADA, "a9" * 20, "after moving")]), "d-ada-2").status_code == 200
    store = AppwriteStore(world.client())
    activity = next(r for r in rows_of(world, "activities", ADA.user_id) if r["external_id"] == "a9" * 20)
    calculation = store.get("calculations", activity["calculation_id"])
    assert calculation is not None
    inputs = json.loads(calculation["inputs"])
    assert (inputs["region_reported"], inputs["region_used"]) == (None, "DE")
    assert any("profile location DE" in r for r in json.loads(calculation["confidence_reasons"]))
    status, refused = call_api(world, ADA, {"action": "update_profile", "location": "Atlantis"})
    assert status == 400
    assert refused["details"] == {"field": "location"}
