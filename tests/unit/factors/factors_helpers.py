"""Helpers for the emission-factor unit tests: injected clocks and the real client over a mock transport."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from ecotrace.adapters.electricity_maps import ElectricityMapsClient

API_KEY = "em-unit-secret-key-42"


class FakeClock:
    """Wall-clock time (aware UTC) that only moves when told to."""

    def __init__(self, start: datetime = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class FakeMonotonic:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


def mock_client(handler: Callable[[httpx.Request], httpx.Response], clock: FakeClock) -> ElectricityMapsClient:
    """The real client over httpx.MockTransport; the handler insists on the auth-token header."""

    def checked(request: httpx.Request) -> httpx.Response:
        if request.headers.get("auth-token") != API_KEY:
            return httpx.Response(401, json={"error": "Invalid auth-token"})
        return handler(request)

    return ElectricityMapsClient(
        API_KEY, base_url="https://em.test/v3", transport=httpx.MockTransport(checked), clock=clock
    )


FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "electricity_maps"


class LiveStub:
    """Answers like Electricity Maps (recorded shapes) until told to fail; counts the requests it saw."""

    def __init__(self, intensity: dict[str, float] | None = None) -> None:
        self.intensity_body = json.loads((FIXTURES / "latest_carbon_intensity.json").read_text("utf-8"))
        self.breakdown_body = json.loads((FIXTURES / "latest_power_breakdown.json").read_text("utf-8"))
        self.intensity = intensity or {}
        self.fail_with: int | None = None  # HTTP status to answer with
        self.timeout = False
        self.unknown_zones: set[str] = set()
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.timeout:
            raise httpx.ReadTimeout("timed out", request=request)
        if self.fail_with is not None:
            return httpx.Response(self.fail_with, json={"error": "failing on purpose"})
        zone = request.url.params.get("zone") or "DE"
        if zone in self.unknown_zones:
            return httpx.Response(404, json={"error": "Zone not found"})
        if request.url.path.endswith("/carbon-intensity/latest"):
            body = {**self.intensity_body, "zone": zone, "carbonIntensity": self.intensity.get(zone, 123)}
        else:
            body = {**self.breakdown_body, "zone": zone}
        return httpx.Response(200, json=body)
