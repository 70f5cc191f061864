"""The optional enrichment step: real line counts when it answers, estimates when it cannot."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from ecotrace.domain.models import Activity
from ecotrace.errors import UpstreamError, ValidationError
from ecotrace.services.ingest import WebhookIngest
from tests.fakes.memory_store import MemoryStore
from tests.unit.webhook.wh_helpers import SECRET, body_of, headers, multi_commit_push


class HalfEnricher:
    """Knows the line counts of every other commit, as a rate-limited GitHub would leave it."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def enrich(self, repo_full_name: str, commits: Sequence[Activity]) -> list[Activity]:
        self.asked += [c.external_id for c in commits]
        return [
            c.model_copy(update={"lines_added": 7, "lines_deleted": 3, "lines_estimated": False}) for c in commits[::2]
        ]


class BrokenEnricher:
    def enrich(self, repo_full_name: str, commits: Sequence[Activity]) -> list[Activity]:
        raise UpstreamError("GitHub is down")


def _send(ingest: WebhookIngest, n: int, delivery: str = "d") -> None:
    body = body_of(multi_commit_push(n))
    assert ingest.handle(body, headers("push", body, delivery=delivery)).status == 200


def test_enriched_commits_carry_real_counts_and_the_rest_stay_marked_estimated(store: MemoryStore) -> None:
    _send(WebhookIngest(store, secret=SECRET, enricher=HalfEnricher()), 4)
    rows = sorted(store.by_id("activities").values(), key=lambda r: r["external_id"])
    assert [r["lines_estimated"] for r in rows] == [False, True, False, True]
    assert [(r["lines_added"], r["lines_deleted"]) for r in rows[::2]] == [(7, 3), (7, 3)]


def test_only_new_commits_are_sent_for_enrichment(store: MemoryStore) -> None:
    enricher = HalfEnricher()
    ingest = WebhookIngest(store, secret=SECRET, enricher=enricher)
    _send(ingest, 3, "first")
    enricher.asked.clear()
    _send(ingest, 5, "second")
    assert len(enricher.asked) == 2


def test_a_failing_enricher_never_fails_the_delivery(store: MemoryStore) -> None:
    _send(WebhookIngest(store, secret=SECRET, enricher=BrokenEnricher()), 3)
    assert all(r["lines_estimated"] for r in store.by_id("activities").values())


def test_a_kept_row_without_a_body_cannot_be_replayed(store: MemoryStore) -> None:
    with pytest.raises(ValidationError, match="redeliver"):
        WebhookIngest(store, secret=SECRET).replay({"$id": "d_x", "status": "failed", "headers": "{}"})
