"""pull_request_review deliveries (octokit/webhooks examples): a review is a step of its pull request, with its
own small energy, and never another pull request in pr_count."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from ecotrace.domain.github import Outcome, extract, opens_pull_request
from ecotrace.domain.models import ActivityType, Confidence, EmissionFactor
from ecotrace.services.carbon import carbon_for_ingest
from ecotrace.services.ingest import WebhookIngest
from tests.fakes.memory_store import MemoryStore
from tests.unit.webhook.wh_helpers import SECRET, FakeClock, body_of, headers, payload

SUBMITTED = "pull_request_review/submitted.payload.json"


def test_a_submitted_review_is_a_pr_step_attributed_to_the_reviewer() -> None:
    result = extract("pull_request_review", payload(SUBMITTED), "d-1")
    assert result.outcome == Outcome.ACTIVITIES
    (review,) = result.activities
    assert review.type == ActivityType.PR
    assert review.source_event == "pull_request_review"
    assert review.external_id == "pr:2:review:237895671"
    assert review.details["action"] == "review"
    assert review.details["head_sha"] == "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
    assert review.details["state"] == "commented"
    assert review.user_id == "gh_21031067"
    assert not opens_pull_request(review.type.value, review.external_id)


def test_a_dismissed_review_is_not_counted() -> None:
    result = extract("pull_request_review", payload("pull_request_review/dismissed.payload.json"), "d-1")
    assert result.outcome == Outcome.IGNORED
    assert "dismissed" in result.reason


class OneFactor:
    """A FactorLookup: Azure East US's CCF value for every region."""

    def resolve(self, region: str | None) -> EmissionFactor:
        return EmissionFactor(
            region=region or "WORLD",
            zone=region or "WORLD",
            g_co2e_per_kwh=415.755,
            source="cloud_region",
            source_detail="CCF grid factor for Azure East US",
            fetched_at=datetime(2026, 12, 1, tzinfo=UTC),
            confidence=Confidence.MEDIUM,
        )


def test_a_review_adds_energy_but_not_a_pull_request(store: MemoryStore, clock: FakeClock) -> None:
    ingest = WebhookIngest(store, secret=SECRET, clock=clock, carbon=carbon_for_ingest(OneFactor(), clock))
    # GIVEN a pull request opened, then reviewed
    for event, name, delivery in (
        ("pull_request", "pull_request/opened.payload.json", "opened"),
        ("pull_request_review", SUBMITTED, "review"),
    ):
        body = body_of(payload(name))
        answer = ingest.handle(body, headers(event, body, delivery=delivery))
        assert answer.status == 200, answer.body
    rows = {r["source_event"]: r for r in store.rows("activities")}
    stats = store.by_id("user_stats")["gh_21031067"]
    # THEN two pr activities, both with carbon, one pull request
    assert set(rows) == {"pull_request", "pull_request_review"}
    review = rows["pull_request_review"]
    assert review["carbon_kg"] > 0
    assert json.loads(review["details"])["action"] == "review"
    assert (stats["pr_count"], stats["activity_count"]) == (1, 2)
    # AND the review is costed as server time only, no lines needed (no "lines unknown" caveat)
    audit = next(r for r in store.rows("calculations") if r["activity_id"] == review["$id"])
    assert json.loads(audit["inputs"])["review"] is True
    assert not any("lines unknown" in r for r in json.loads(audit["confidence_reasons"]))
