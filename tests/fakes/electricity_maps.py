"""A strict fake of the Electricity Maps API v3, served over real HTTP on 127.0.0.1.

It answers the endpoints EcoTrace uses with the recorded response shapes
(tests/fixtures/electricity_maps/), and refuses what the real API would refuse:

- only ``GET /v3/carbon-intensity/latest``, ``GET /v3/power-breakdown/latest`` and
  ``GET /v3/carbon-intensity/history`` (the 24 hourly values before the fake's ``now``: the recorded shape, with
  the zone's values from ``history_values`` when set; ``history_refused`` zones answer 403 as a plan without
  history access would);
- the ``auth-token`` header must carry the key (else 401 ``{"error": "Invalid auth-token", ...}``);
- the query must be exactly ``zone=`` or ``lat=`` + ``lon=`` (numbers in range), else 400;
- zones must exist in the recorded ``/v3/zones`` list, else 404.

Tests script failures per request (after routing and auth, as the real API fails): an HTTP status (403, 404,
429 with ``Retry-After``, 5xx), a hang longer than the client's timeout, or a malformed body; ``always`` answers
every request one way (an outage). Every request is recorded (tests/fakes/http_fake.py).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.fakes.http_fake import HttpFake, Scripted, Seen

__all__ = ["BREAKDOWN_PATH", "HISTORY_PATH", "INTENSITY_PATH", "FakeElectricityMaps", "Scripted", "Seen", "fixture"]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "electricity_maps"
INTENSITY_PATH = "/v3/carbon-intensity/latest"
BREAKDOWN_PATH = "/v3/power-breakdown/latest"
HISTORY_PATH = "/v3/carbon-intensity/history"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def _error(status: int, error: str, message: str) -> Scripted:
    return Scripted(status, {"error": error, "message": message})


class FakeElectricityMaps(HttpFake):
    def __init__(self, api_key: str = "em-test-key-0123456789") -> None:
        super().__init__()
        self.api_key = api_key
        self.zones: dict[str, Any] = fixture("zones.json")
        self.intensity: dict[str, float] = {}  # zone -> gCO2eq/kWh (default: the recorded value)
        self.renewable: dict[str, float] = {}
        self.estimated: dict[str, bool] = {}
        self.points: dict[tuple[float, float], str] = {}  # (lat, lon) rounded to 2 places -> zone
        self.now = datetime.now(UTC)  # history ends at the hour before this
        self.history_values: dict[str, Callable[[datetime], float]] = {}  # zone -> intensity at an hour
        self.history_refused: set[str] = set()

    @property
    def base_url(self) -> str:
        return f"{self.origin}/v3"

    def answer(self, request: Seen) -> Scripted:
        if request.method != "GET":
            return Scripted(405, {"error": "Method not allowed"})
        if request.path not in (INTENSITY_PATH, BREAKDOWN_PATH, HISTORY_PATH):
            return _error(404, "Not found", f"No route for {request.path}")
        if request.headers.get("auth-token") != self.api_key:
            return _error(401, "Invalid auth-token", "Please provide a valid token")
        scripted = self.next_scripted(request.path)
        if scripted is not None:
            return scripted
        zone, problem = self._zone_for(request.query)
        if problem is not None:
            return problem
        assert zone is not None
        if request.path == HISTORY_PATH:
            return self._history(zone)
        if request.path == INTENSITY_PATH:
            body = copy.deepcopy(fixture("latest_carbon_intensity.json"))
            body["zone"] = zone
            if zone in self.intensity:
                body["carbonIntensity"] = self.intensity[zone]
            if zone in self.estimated:
                body["isEstimated"] = self.estimated[zone]
                if not self.estimated[zone]:
                    body["estimationMethod"] = None
        else:
            body = copy.deepcopy(fixture("latest_power_breakdown.json"))
            body["zone"] = zone
            if zone in self.renewable:
                body["renewablePercentage"] = self.renewable[zone]
        return Scripted(200, body)

    def _history(self, zone: str) -> Scripted:
        if zone in self.history_refused:
            return _error(403, "Forbidden", f"Your plan does not give access to the history of zone '{zone}'")
        recorded = fixture("carbon_intensity_history.json")
        end = self.now.replace(minute=0, second=0, microsecond=0)
        values = self.history_values.get(zone)
        history = []
        for index, item in enumerate(recorded["history"]):
            hour = end - timedelta(hours=len(recorded["history"]) - index)
            entry = {**item, "zone": zone, "datetime": hour.strftime("%Y-%m-%dT%H:%M:%S.000Z")}
            if values is not None:
                entry["carbonIntensity"] = values(hour)
            history.append(entry)
        return Scripted(200, {"zone": zone, "history": history})

    def _zone_for(self, query: dict[str, str]) -> tuple[str | None, Scripted | None]:
        keys = set(query)
        if keys == {"zone"}:
            zone = query["zone"]
            if zone not in self.zones:
                return None, _error(404, "Zone not found", f"Zone '{zone}' does not exist")
            return zone, None
        if keys == {"lat", "lon"}:
            try:
                lat, lon = float(query["lat"]), float(query["lon"])
            except ValueError:
                return None, _error(400, "Bad request", "lat and lon must be numbers")
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                return None, _error(400, "Bad request", "lat/lon out of range")
            zone = self.points.get((round(lat, 2), round(lon, 2)))
            if zone is None:
                return None, _error(404, "Zone not found", "No zone for these coordinates")
            return zone, None
        return None, _error(400, "Bad request", "give either zone, or lat and lon")
