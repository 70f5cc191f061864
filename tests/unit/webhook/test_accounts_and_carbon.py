"""Sign-up links a person's rows to their account; the optional carbon step lands in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from ecotrace.domain.models import Activity, Confidence
from ecotrace.errors import ConflictError, NotFoundError, StorageError
from ecotrace.services.accounts import link_account
from ecotrace.services.ingest import WebhookIngest
from tests.fakes.memory_store import MemoryStore
from tests.unit.webhook.wh_helpers import SECRET, body_of, headers, multi_commit_push

READ = 'read("user:acct1")'


def _push(ingest: WebhookIngest, n: int, delivery: str) -> None:
    body = body_of(multi_commit_push(n))
    assert ingest.handle(body, headers("push", body, delivery=delivery)).status == 200


def test_signup_grants_the_account_read_on_rows_kept_before_it(ingest: WebhookIngest, store: MemoryStore) -> None:
    _push(ingest, 3, "before")
    assert all(r["$permissions"] == [] for r in store.by_id("activities").values())
    result = link_account(store, github_id=21031067, account_id="acct1")
    assert result.granted["activities"] == 3
    assert store.by_id("users")["gh_21031067"]["account_id"] == "acct1"
    assert READ in store.by_id("users")["gh_21031067"]["$permissions"]
    assert all(READ in r["$permissions"] for r in store.by_id("activities").values())
    assert READ in store.by_id("user_stats")["gh_21031067"]["$permissions"]


def test_rows_after_signup_are_readable_by_the_account_at_once(ingest: WebhookIngest, store: MemoryStore) -> None:
    link_account(store, github_id=21031067, account_id="acct1", login="Codertocat")
    _push(ingest, 2, "after")
    assert all(r["$permissions"] == [READ] for r in store.by_id("activities").values())
    assert store.by_id("user_stats")["gh_21031067"]["$permissions"] == [READ]


def test_linking_again_is_harmless_and_another_account_is_refused(ingest: WebhookIngest, store: MemoryStore) -> None:
    _push(ingest, 2, "d")
    link_account(store, github_id=21031067, account_id="acct1")
    again = link_account(store, github_id=21031067, account_id="acct1")
    assert again.granted == {"activities": 0, "calculations": 0}
    with pytest.raises(ConflictError):
        link_account(store, github_id=21031067, account_id="someone-else")


def test_linking_an_unknown_person_needs_their_login(store: MemoryStore) -> None:
    with pytest.raises(NotFoundError):
        link_account(store, github_id=7, account_id="acct1")
    assert link_account(store, github_id=7, account_id="acct1", login="octo").created_user


def test_a_failed_backfill_finishes_when_run_again(ingest: WebhookIngest, store: MemoryStore) -> None:
    _push(ingest, 4, "d")
    store.fail("update", "activities", after=2)
    with pytest.raises(StorageError):
        link_account(store, github_id=21031067, account_id="acct1")
    link_account(store, github_id=21031067, account_id="acct1")
    assert all(READ in r["$permissions"] for r in store.by_id("activities").values())


def fake_carbon(activities: Sequence[Activity]) -> tuple[list[Activity], list[dict[str, Any]]]:
    """Stands in for ecotrace.services.calculate.carbon_for_ingest: 1 g per activity."""
    out, calcs = [], []
    for a in activities:
        out.append(
            a.model_copy(update={"carbon_kg": 0.001, "energy_kwh": 0.002, "calculation_confidence": Confidence.LOW})
        )
        calcs.append(
            {
                "$id": f"k{a.id[1:]}",
                "activity_id": a.id,
                "user_id": a.user_id,
                "activity_type": a.type.value,
                "methodology_version": "test",
                "carbon_kg": 0.001,
                "carbon_kg_low": 0.0005,
                "carbon_kg_high": 0.002,
                "energy_kwh": 0.002,
                "energy_breakdown": "{}",
                "emission_factor": "{}",
                "confidence": "low",
                "calculated_at": "2026-11-25T12:00:00.000+00:00",
            }
        )
    return out, calcs


def test_carbon_is_written_with_the_activities_and_totals(store: MemoryStore) -> None:
    ingest = WebhookIngest(store, secret=SECRET, carbon=fake_carbon)
    _push(ingest, 5, "d")
    assert all(r["carbon_kg"] == 0.001 for r in store.by_id("activities").values())
    assert len(store.by_id("calculations")) == 5
    assert store.by_id("user_stats")["gh_21031067"]["carbon_kg"] == pytest.approx(0.005)
    _push(ingest, 5, "redelivered-elsewhere")
    assert store.by_id("user_stats")["gh_21031067"]["carbon_kg"] == pytest.approx(0.005)
