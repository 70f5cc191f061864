"""The Electricity Maps client's own guarantees: bounded timeouts, and any body parsed or refused by name."""

from __future__ import annotations

import json
import math
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecotrace.adapters.electricity_maps import ElectricityMapsClient, ElectricityMapsError, Target
from tests.unit.factors.factors_helpers import API_KEY, FakeClock


def test_the_default_client_bounds_every_phase_of_a_request() -> None:
    http = ElectricityMapsClient(API_KEY)._http()
    timeout = http.timeout
    assert (timeout.connect, timeout.read, timeout.write, timeout.pool) == (2.0, 5.0, 5.0, 5.0)


@pytest.mark.parametrize(
    "timeout", [httpx.Timeout(None), httpx.Timeout(5.0, read=None), httpx.Timeout(5.0, connect=None)]
)
def test_an_unbounded_timeout_is_refused(timeout: httpx.Timeout) -> None:
    with pytest.raises(ValueError, match="timeout"):
        ElectricityMapsClient(API_KEY, timeout=timeout)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=20), children, max_size=4),
    max_leaves=10,
)
bodies = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"zone": st.one_of(st.just("DE"), json_values), "carbonIntensity": json_values},
        optional={
            "datetime": st.one_of(st.just("2026-11-25T12:00:00.000Z"), json_values),
            "isEstimated": json_values,
            "estimationMethod": json_values,
            "renewablePercentage": json_values,
        },
    ),
)


@settings(max_examples=300, deadline=None)
@given(intensity=bodies, breakdown=bodies)
def test_any_json_answer_is_a_reading_or_a_named_error(intensity: Any, breakdown: Any) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        body = intensity if request.url.path.endswith("/carbon-intensity/latest") else breakdown
        return httpx.Response(200, content=json.dumps(body, allow_nan=True).encode())

    client = ElectricityMapsClient(
        API_KEY, base_url="https://em.test/v3", transport=httpx.MockTransport(answer), clock=FakeClock()
    )
    try:
        reading = client.latest(Target(zone="DE"))
    except ElectricityMapsError as exc:
        refused = exc.kind
    else:
        refused = None
    if refused is not None:
        assert refused in ("malformed", "no_data")
        return
    assert math.isfinite(reading.g_co2e_per_kwh)
    assert 0 <= reading.g_co2e_per_kwh <= 5000
    assert reading.zone
    assert reading.renewable_percentage is None or 0 <= reading.renewable_percentage <= 100
