"""The Electricity Maps key never appears in logs (at DEBUG, httpx's included), answers or errors, whatever the
API does, including echoing the key back in an error body. Real HTTP to the strict loopback fake."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import httpx
import pytest

from ecotrace.adapters.electricity_maps import ElectricityMapsClient, Target
from ecotrace.adapters.shipped_factors import ShippedFactors
from ecotrace.errors import EcoTraceError
from ecotrace.resilience import retry_policy
from ecotrace.services.api_integrations import Caller, handle
from ecotrace.services.emission_factors import EmissionFactorResolver
from tests.fakes.electricity_maps import INTENSITY_PATH, FakeElectricityMaps, Scripted

KEY = "em-secret-key-never-shown-81f4c2"
ECHO = {"error": "Invalid auth-token", "message": f"token {KEY} is not valid"}

OUTAGES = {
    "401-echo": Scripted(401, ECHO),
    "403-echo": Scripted(403, {"error": "Forbidden", "message": f"key {KEY} has no access"}),
    "404-echo": Scripted(404, {"error": "Zone not found", "message": f"asked with {KEY}"}),
    "429-echo": Scripted(429, {"error": f"slow down {KEY}"}, headers={"Retry-After": "1"}),
    "500-echo": Scripted(500, f"<html>{KEY}</html>".encode()),
    "malformed-echo": Scripted(200, f"not json {KEY}".encode(), path=INTENSITY_PATH),
    "timeout": Scripted(hang_s=0.5),
}


@pytest.fixture
def fake() -> Iterator[FakeElectricityMaps]:
    with FakeElectricityMaps(api_key=KEY) as server:
        yield server


@pytest.mark.parametrize("outage", OUTAGES.values(), ids=OUTAGES.keys())
def test_the_key_stays_out_of_logs_answers_and_errors(
    fake: FakeElectricityMaps, outage: Scripted, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, httpx and httpcore included
    fake.always = outage
    live = ElectricityMapsClient(KEY, base_url=fake.base_url, timeout=httpx.Timeout(0.2, connect=0.5))
    resolver = EmissionFactorResolver(
        ShippedFactors.load(), live, None, retry=retry_policy(attempts=2, sleep=lambda s: None)
    )
    caller = Caller("service")
    answers = [
        handle({"action": "fetch_emission_factors", "region": "DE"}, caller, resolver),
        handle(
            {"action": "fetch_emission_factors_batch", "regions": ["FR", "US-CA", "aws:eu-west-1"]}, caller, resolver
        ),
        handle({"action": "fetch_emission_factors", "region": {"lat": 48.85, "lon": 2.35}}, caller, resolver),
        handle({"action": "health"}, caller, resolver),
        handle({"action": "refresh_cache"}, caller, resolver),
    ]
    errors: list[str] = []
    try:
        live.latest(Target(zone="DE"))
    except EcoTraceError as exc:
        errors += [str(exc), repr(exc), exc.message, json.dumps(exc.details, default=str)]
    assert errors, "the outage reaches the client as an error"
    assert fake.requests, "the fake was asked"
    assert any(r.headers.get("auth-token") == KEY for r in fake.requests)  # the key was sent, so it could leak
    assert caplog.records, "something was logged"
    text = json.dumps(answers, default=str) + "".join(errors) + caplog.text + repr(resolver.live)
    assert KEY not in text
