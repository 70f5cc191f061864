"""Export and erasure as services over the in-memory store: bounded steps that resume by cursor and end where one
uninterrupted call would, and a person's own repository named by its path."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from ecotrace.errors import ValidationError
from ecotrace.services.ingest import WebhookIngest
from ecotrace.services.personal_data import PersonalData, subject_for_github
from tests.fakes.memory_store import MemoryStore
from tests.unit.webhook.wh_helpers import SECRET, FakeClock, headers, multi_commit_push

ADA = {"login": "ada-l", "id": 7001, "type": "User"}
BOB = {"login": "bobby", "id": 7002, "type": "User"}


def world() -> MemoryStore:
    clock = FakeClock()
    store = MemoryStore(clock)
    ingest = WebhookIngest(store, secret=SECRET, clock=clock)
    for n, (sender, repo) in enumerate([(ADA, "ada-l/notes"), (BOB, "eco/trace"), (ADA, "eco/trace")]):
        data: dict[str, Any] = multi_commit_push(3, sender=sender)
        data["repository"]["full_name"] = repo
        data["repository"]["id"] = 100 + n
        for commit in data["commits"]:
            commit["id"] = f"{n}{commit['id'][1:]}"
            commit["author"] = {
                "name": sender["login"],
                "email": f"{sender['login']}@example.org",
                "username": sender["login"],
            }
        body = json.dumps(data).encode()
        assert ingest.handle(body, headers("push", body, delivery=f"d-{n}")).status == 200
    return store


def steps(store: MemoryStore, action: str) -> list[dict[str, Any]]:
    ticks = itertools.count(0, 100)  # every call to the clock is 100 s later: one step per call
    data = PersonalData(store, monotonic=lambda: float(next(ticks)), budget_s=1.0)
    subject = subject_for_github(store, login="ada-l")
    pages, cursor = [], None
    for _ in range(100):
        page = data.export(subject, cursor) if action == "export" else data.erase(subject, cursor)
        pages.append(page)
        if page["done"]:
            return pages
        cursor = page["next_cursor"]
    raise AssertionError("never done")


def test_an_export_in_steps_holds_what_one_call_holds() -> None:
    store = world()
    whole = PersonalData(store, budget_s=None).export(subject_for_github(store, login="ada-l"))
    pages = steps(store, "export")
    assert len(pages) > 3
    joined: dict[str, list[str]] = {}
    for page in pages:
        for table, rows in page["tables"].items():
            joined.setdefault(table, []).extend(r["$id"] for r in rows)
    assert joined == {t: [r["$id"] for r in rows] for t, rows in whole["tables"].items()}
    assert sorted(d["delivery_id"] for p in pages for d in p["deliveries"]) == ["d-0", "d-2"]


def test_an_erasure_in_steps_ends_where_one_call_ends() -> None:
    stepped, whole = world(), world()
    steps(stepped, "erase")
    PersonalData(whole, budget_s=None).erase(subject_for_github(whole, login="ada-l"))
    for store in (stepped, whole):
        text = json.dumps(store.tables).lower()
        assert "ada-l" not in text
        assert "gh_7001" not in text
    assert json.dumps(stepped.snapshot("activities", "users"), sort_keys=True) == json.dumps(
        whole.snapshot("activities", "users"), sort_keys=True
    )
    bob = [r for r in stepped.rows("activities") if r["user_id"] == "gh_7002"]
    assert len(bob) == 3


def test_a_cursor_from_elsewhere_is_refused() -> None:
    store = world()
    with pytest.raises(ValidationError, match="cursor"):
        PersonalData(store).erase(subject_for_github(store, login="ada-l"), "not-a-cursor")
