"""The global feed written by the webhook (anonymised, opt-in login, opt-out honoured, bounded retention), a push
whose counting does not fit one transaction, and erasing a person's rollups."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from ecotrace.clock import parse_iso
from ecotrace.services.carbon import carbon_for_ingest
from ecotrace.services.ingest import WebhookIngest
from ecotrace.services.profile import update_profile
from ecotrace.services.rollups import RollupWriter
from tests.fakes.memory_store import MemoryStore
from tests.unit.carbon.carbon_builders import make_factor
from tests.unit.ranking.rollup_helpers import assert_rollups_match, rollups_from_scratch
from tests.unit.webhook.wh_helpers import SECRET, FakeClock, body_of, headers, multi_commit_push, payload

JOB = "workflow_job/completed.success.with-organization.payload.json"


class Factors:
    def resolve(self, region: str | None) -> Any:
        return make_factor(400.0, region=region or "WORLD")


def ingest(store: MemoryStore, clock: FakeClock) -> WebhookIngest:
    return WebhookIngest(store, secret=SECRET, clock=clock, carbon=carbon_for_ingest(Factors(), clock))


def send(service: WebhookIngest, event: str, data: dict[str, Any], delivery: str) -> int:
    body = body_of(data)
    return service.handle(body, headers(event, body, delivery=delivery)).status


def test_the_feed_says_what_happened_and_not_who_unless_they_opted_in() -> None:
    clock = FakeClock()
    store = MemoryStore(clock)
    service = ingest(store, clock)
    assert send(service, "push", multi_commit_push(3), "d1") == 200
    (item,) = store.rows("activity_feed")
    assert (item["activity_type"], item["activity_count"], item["github_login"]) == ("commit", 3, None)
    assert item["carbon_kg"] > 0
    assert item["carbon_kg_low"] <= item["carbon_kg"] <= item["carbon_kg_high"]
    assert item["repo_full_name"] is None  # a push does not say whether its repository is public
    assert not {"user_id", "email", "account_id"} & set(item)
    assert parse_iso(item["expires_at"]) - parse_iso(item["created_at"]) == timedelta(days=7)
    assert item["$permissions"] == []  # readable through the table's read("users"), like every row of it

    sender = next(iter(store.by_id("users")))
    store.update("users", sender, {"feed_show_login": True})
    assert send(service, "push", multi_commit_push(5), "d2") == 200
    shown = [r for r in store.rows("activity_feed") if r["activity_count"] == 2]
    assert [r["github_login"] for r in shown] == ["Codertocat"]  # opted in: the login shows

    assert send(service, "push", multi_commit_push(5), "d2") == 200  # a redelivery adds no row
    store.update("users", sender, {"leaderboard_visible": False})
    assert send(service, "push", multi_commit_push(7), "d3") == 200
    assert len(store.rows("activity_feed")) == 2  # opted out: nothing in the feed


def test_a_public_repository_s_ci_job_names_its_repository() -> None:
    clock = FakeClock()
    store = MemoryStore(clock)
    job = payload(JOB)
    job["repository"]["private"] = False
    assert send(ingest(store, clock), "workflow_job", job, "j1") == 200
    (item,) = store.rows("activity_feed")
    assert (item["activity_type"], item["repo_full_name"]) == ("ci_run", job["repository"]["full_name"])


def test_a_push_over_many_days_is_counted_through_pending_deltas_and_folded() -> None:
    clock = FakeClock()
    store = MemoryStore(clock)
    data = multi_commit_push(150)
    for i, commit in enumerate(data["commits"]):  # 150 commits, each on its own day: 150 + 22 + 6 + 1 rollup rows
        commit["timestamp"] = f"2026-{1 + i // 28:02d}-{1 + i % 28:02d}T12:00:00Z"
    data["head_commit"] = copy.deepcopy(data["commits"][-1])
    assert send(ingest(store, clock), "push", data, "wide") == 200
    (delivery_commit,) = [c for c in store.commits if any(op["tableId"] == "activities" for op in c)]
    assert len(delivery_commit) <= 100
    assert store.rows("pending_deltas") == []  # created in that transaction, folded right after it
    assert_rollups_match(rollups_from_scratch(store.rows("activities")), store.by_id("rollups"))
    assert store.by_id("user_stats")[next(iter(store.by_id("users")))]["commit_count"] == 150


def test_erasing_a_person_removes_their_rollups_and_pending_deltas_only() -> None:
    clock = FakeClock()
    store = MemoryStore(clock)
    service = ingest(store, clock)
    assert send(service, "push", multi_commit_push(2), "a") == 200
    other = multi_commit_push(2, sender={"login": "other", "id": 99, "type": "User"})
    for c in other["commits"]:
        c["id"] = "f" + c["id"][1:]
    assert send(service, "push", other, "b") == 200
    mine = next(r["user_id"] for r in store.rows("rollups") if r["user_id"] != "gh_99")
    removed = RollupWriter(store).remove_user(mine)
    assert removed == 4
    assert {r["user_id"] for r in store.rows("rollups")} == {"gh_99"}


def test_withdrawing_the_login_or_opting_out_takes_the_feed_rows_that_show_it_at_once() -> None:
    clock = FakeClock()
    store = MemoryStore(clock)
    service = ingest(store, clock)
    assert send(service, "push", multi_commit_push(1), "d0") == 200  # anonymous: stays whatever she decides
    sender = next(iter(store.by_id("users")))
    store.update("users", sender, {"feed_show_login": True, "account_id": "acct-ada"})
    assert send(service, "push", multi_commit_push(3), "d1") == 200
    assert sorted(str(r["github_login"]) for r in store.rows("activity_feed")) == ["Codertocat", "None"]

    answer = update_profile(store, "acct-ada", {"feed_show_login": False})
    assert answer["feed_rows_removed"] == 1
    assert [r["github_login"] for r in store.rows("activity_feed")] == [None]  # not kept until it expires

    update_profile(store, "acct-ada", {"feed_show_login": True})
    assert send(service, "push", multi_commit_push(5), "d2") == 200
    assert update_profile(store, "acct-ada", {"leaderboard_visible": False})["feed_rows_removed"] == 1
    assert [r["github_login"] for r in store.rows("activity_feed")] == [None]
