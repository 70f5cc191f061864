"""Webhook secret rotation: during the window a delivery signed with either secret is accepted, after it only the
new one; a previous secret without a readable end is never accepted (and health says why)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ecotrace.domain.signature import WebhookSecrets, sign, verify_any
from ecotrace.errors import SignatureError
from ecotrace.services.ingest import WebhookIngest
from ecotrace.settings import Settings
from tests.fakes.memory_store import MemoryStore
from tests.unit.webhook.wh_helpers import FakeClock, headers, raw

NEW, OLD = "new-secret-2026-12", "old-secret-2026-06"
BODY = raw("push/with-new-branch.payload.json")
ENV = {"APPWRITE_FUNCTION_API_ENDPOINT": "http://x/v1", "APPWRITE_FUNCTION_PROJECT_ID": "p"}


def test_verify_any_names_the_secret_that_signed() -> None:
    assert verify_any([NEW, OLD], BODY, sign(NEW, BODY)) == 0
    assert verify_any([NEW, OLD], BODY, sign(OLD, BODY)) == 1
    with pytest.raises(SignatureError, match="does not match"):
        verify_any([NEW, OLD], BODY, sign("someone-else", BODY))


def test_the_previous_secret_is_accepted_only_until_its_end() -> None:
    until = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    secrets = WebhookSecrets(NEW, OLD, until)
    assert secrets.accepted(until - timedelta(seconds=1)) == (NEW, OLD)
    assert secrets.accepted(until) == (NEW,)
    assert secrets.describe(until - timedelta(hours=1)) == {
        "configured": True,
        "rotating": True,
        "previous_accepted_until": "2026-12-04T12:00:00+00:00",
    }
    assert NEW not in repr(secrets)
    assert OLD not in repr(secrets)


@pytest.mark.parametrize("until", ["", "2026-12-04T12:00:00", "next tuesday"])
def test_a_previous_secret_without_a_zoned_end_is_not_accepted(until: str) -> None:
    env = {**ENV, "GITHUB_WEBHOOK_SECRET": NEW, "GITHUB_WEBHOOK_SECRET_PREVIOUS": OLD}
    secrets = Settings.from_env({**env, "GITHUB_WEBHOOK_SECRET_PREVIOUS_UNTIL": until}).webhook_secrets
    assert secrets.accepted(datetime(2026, 1, 1, tzinfo=UTC)) == (NEW,)
    assert "not accepted" in str(secrets.describe(datetime(2026, 1, 1, tzinfo=UTC))["previous_ignored"])


def test_an_offset_end_time_is_read_as_that_instant() -> None:
    env = {**ENV, "GITHUB_WEBHOOK_SECRET": NEW, "GITHUB_WEBHOOK_SECRET_PREVIOUS": OLD}
    settings = Settings.from_env({**env, "GITHUB_WEBHOOK_SECRET_PREVIOUS_UNTIL": "2026-12-04T07:00:00-05:00"})
    assert settings.webhook_secret_previous_until == datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def test_the_webhook_accepts_both_during_the_window_and_only_the_new_one_after() -> None:
    clock = FakeClock()
    store = MemoryStore(clock)
    ingest = WebhookIngest(store, secret=WebhookSecrets(NEW, OLD, clock.now + timedelta(minutes=10)), clock=clock)
    old_signed = ingest.handle(BODY, headers("push", BODY, delivery="d-old", secret=OLD))
    new_signed = ingest.handle(BODY, headers("push", BODY, delivery="d-new", secret=NEW))
    assert (old_signed.status, old_signed.body["signature"]) == (200, "previous_secret")
    assert new_signed.status == 200
    assert "signature" not in new_signed.body
    clock.advance(600)
    with pytest.raises(SignatureError):
        ingest.handle(BODY, headers("push", BODY, delivery="d-late", secret=OLD))
    assert sorted(r["delivery_id"] for r in store.rows("webhook_deliveries")) == ["d-new", "d-old"]  # nothing new
    assert ingest.handle(BODY, headers("push", BODY, delivery="d-late", secret=NEW)).status == 200
