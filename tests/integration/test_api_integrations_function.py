"""The api-integrations function deployed on the local stack, Electricity Maps played by the loopback fake."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from appwrite.exception import AppwriteException
from appwrite.services.functions import Functions

from ecotrace.adapters.appwrite_store import AppwriteStore
from ecotrace.clock import parse_iso, to_iso, utc_now
from ecotrace_local.testing import StackHandle, run_stack
from tests.fakes.electricity_maps import FakeElectricityMaps, Scripted

ROOT = Path(__file__).resolve().parents[2]
EM_KEY = "em-function-secret-key-9c1e"
FN = "api-integrations"


@pytest.fixture(scope="module")
def em() -> Iterator[FakeElectricityMaps]:
    with FakeElectricityMaps(api_key=EM_KEY) as fake:
        yield fake


@pytest.fixture(scope="module")
def module_stack(em: FakeElectricityMaps, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackHandle]:
    data = json.loads((ROOT / "appwrite.json").read_text(encoding="utf-8"))
    data["functions"] = [f for f in data["functions"] if f["$id"] == FN]
    env = {
        "ELECTRICITY_MAPS_API_KEY": EM_KEY,
        "ELECTRICITY_MAPS_BASE_URL": em.base_url,
        "ECOTRACE_RUN_SCHEDULES": "0",
    }
    base = tmp_path_factory.mktemp("api-integrations-stack")
    with run_stack(ROOT, db_path=base / "local.sqlite3", env=env, appwrite_json=data) as handle:
        yield handle


@pytest.fixture
def stack(module_stack: StackHandle, em: FakeElectricityMaps) -> StackHandle:
    module_stack.reset()
    em.always = None
    em.requests.clear()
    return module_stack


def as_user(stack: StackHandle, body: Any, user: str = "ada") -> tuple[int, dict[str, Any]]:
    execution = Functions(stack.user_client(user)).create_execution(FN, body=json.dumps(body))
    return execution.responsestatuscode, json.loads(execution.responsebody)


def on_domain(stack: StackHandle, body: Any) -> httpx.Response:
    return httpx.post(f"{stack.base_url}/functions/{FN}/", json=body, timeout=30)


def test_a_user_fetches_the_seed_request_shape_live(stack: StackHandle, em: FakeElectricityMaps) -> None:
    em.intensity["US-CAL-CISO"] = 188
    status, body = as_user(
        stack, {"action": "fetch_emission_factors", "region": {"country": "US", "state_province": "CA"}}
    )
    assert status == 200
    factor = body["factor"]
    assert (factor["region"], factor["zone"], factor["source"]) == ("US-CA", "US-CAL-CISO", "electricity_maps")
    assert factor["factor_kg_co2_per_kwh"] == pytest.approx(0.188)
    assert factor["confidence_rating"] in ("high", "medium")
    assert factor["cached"] is False
    row = AppwriteStore(stack.client()).get("emission_factors", "US-CAL-CISO")
    assert row is not None
    assert row["source"] == "electricity_maps"


def test_a_batch_answers_every_region_in_order(stack: StackHandle) -> None:
    regions = ["aws:eu-west-1", "DE", "nowhere", {"country": "CA", "state_province": "ON"}]
    status, body = as_user(stack, {"action": "fetch_emission_factors_batch", "regions": regions})
    assert status == 200
    assert [f["region"] for f in body["factors"]] == ["aws:eu-west-1", "DE", "WORLD", "CA-ON"]
    assert body["factors"][2]["source"] == "world_average"


def test_a_batch_is_bounded(stack: StackHandle) -> None:
    status, body = as_user(stack, {"action": "fetch_emission_factors_batch", "regions": ["DE"] * 51})
    assert (status, body["error"]) == (400, "invalid_request")
    assert "at most 50" in body["message"]


@pytest.mark.parametrize(
    ("request_body", "message"),
    [
        ({"action": "delete_everything"}, "unknown action"),
        ({"action": "fetch_emission_factors"}, 'needs "region"'),
        ({"action": "fetch_emission_factors_batch", "regions": "DE"}, "non-empty list"),
    ],
)
def test_bad_requests_are_named(stack: StackHandle, request_body: dict[str, Any], message: str) -> None:
    status, body = as_user(stack, request_body)
    assert (status, body["ok"], body["error"]) == (400, False, "invalid_request")
    assert message in body["message"]


def test_a_body_that_is_not_json_is_refused(stack: StackHandle) -> None:
    execution = Functions(stack.user_client("ada")).create_execution(FN, body="{not json")
    assert execution.responsestatuscode == 400


def test_guests_are_refused(stack: StackHandle) -> None:
    response = on_domain(stack, {"action": "fetch_emission_factors", "region": "DE"})
    assert response.status_code == 401  # Appwrite's router: the domain needs execute "any" or "guests"
    with pytest.raises(AppwriteException) as caught:
        Functions(stack.guest_client()).create_execution(FN, body=json.dumps({"action": "health"}))
    assert caught.value.code == 401


def test_a_server_caller_with_the_api_key_may_refresh(stack: StackHandle, em: FakeElectricityMaps) -> None:
    as_user(stack, {"action": "fetch_emission_factors", "region": "DE"})
    execution = Functions(stack.client()).create_execution(FN, body=json.dumps({"action": "refresh_cache"}))
    assert execution.responsestatuscode == 200
    assert json.loads(execution.responsebody)["refresh"]["skipped_reason"] is None


def test_users_may_not_refresh(stack: StackHandle) -> None:
    status, body = as_user(stack, {"action": "refresh_cache"})
    assert (status, body["error"]) == (403, "forbidden")


def test_health_shows_breaker_state_and_never_the_key(stack: StackHandle, em: FakeElectricityMaps) -> None:
    em.always = Scripted(401, {"error": "Invalid auth-token", "message": f"token {EM_KEY} is not valid"})
    status, body = as_user(stack, {"action": "fetch_emission_factors", "region": "FR"})
    assert status == 200
    assert body["factor"]["source"] == "country_annual"
    status, health = as_user(stack, {"action": "health"})
    live = health["sources"]["electricity_maps"]
    assert live["configured"] is True
    assert "401" in live["last_error"]
    everything = json.dumps(body) + json.dumps(health)
    executions = Functions(stack.client()).list_executions(FN)
    logs = " ".join((e.logs or "") + (e.errors or "") for e in executions.executions)
    assert EM_KEY not in everything
    assert EM_KEY not in logs


def test_the_hourly_schedule_refreshes_rows_about_to_expire(stack: StackHandle, em: FakeElectricityMaps) -> None:
    scheduler = stack.stack.functions.scheduler
    due = scheduler.next_due()[FN]
    assert (due.minute, due.second) == (0, 0)  # appwrite.json "0 * * * *": on the hour
    assert (due - utc_now()) <= timedelta(hours=1)
    # a live row written 5.5 h ago by some instance: it expires within the hour
    store = AppwriteStore(stack.client())
    fetched = utc_now() - timedelta(hours=5.5)
    store.upsert(
        "emission_factors",
        "PL",
        {
            "region": "PL",
            "region_kind": "zone",
            "factor_kg_co2_per_kwh": 0.9,
            "source": "electricity_maps",
            "zone": "PL",
            "confidence_rating": "high",
            "fetched_at": to_iso(fetched),
            "expires_at": to_iso(fetched + timedelta(hours=6)),
        },
    )
    em.intensity["PL"] = 612
    execution = scheduler.fire_next_due(wait=True)
    assert execution is not None
    assert (execution.trigger, execution.status_code) == ("schedule", 200), execution.errors
    row = store.get("emission_factors", "PL")
    assert row is not None
    assert row["factor_kg_co2_per_kwh"] == pytest.approx(0.612)
    assert parse_iso(row["expires_at"]) > utc_now() + timedelta(hours=5)
