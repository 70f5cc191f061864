"""A strict fake of the Electricity Maps API v3, served over real HTTP on 127.0.0.1.

It answers the two endpoints EcoTrace uses with the recorded response shapes
(tests/fixtures/electricity_maps/), and refuses what the real API would refuse:

- only ``GET /v3/carbon-intensity/latest`` and ``GET /v3/power-breakdown/latest``;
- the ``auth-token`` header must carry the key (else 401 ``{"error": "Invalid auth-token", ...}``);
- the query must be exactly ``zone=`` or ``lat=`` + ``lon=`` (numbers in range), else 400;
- zones must exist in the recorded ``/v3/zones`` list, else 404.

Tests script failures per request: an HTTP status (403, 404, 429 with ``Retry-After``, 5xx), a hang longer
than the client's timeout, or a malformed body. Every request is recorded.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "electricity_maps"
INTENSITY_PATH = "/v3/carbon-intensity/latest"
BREAKDOWN_PATH = "/v3/power-breakdown/latest"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@dataclass
class Scripted:
    """One scripted answer: a status with a body, a hang, or raw bytes."""

    status: int = 200
    body: Any = None  # JSON-able; or bytes sent as is
    headers: dict[str, str] = field(default_factory=dict)
    hang_s: float = 0.0
    path: str | None = None  # only for this endpoint (None: either)


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]


class FakeElectricityMaps:
    def __init__(self, api_key: str = "em-test-key-0123456789") -> None:
        self.api_key = api_key
        self.zones: dict[str, Any] = fixture("zones.json")
        self.intensity: dict[str, float] = {}  # zone -> gCO2eq/kWh (default: the recorded value)
        self.renewable: dict[str, float] = {}
        self.estimated: dict[str, bool] = {}
        self.points: dict[tuple[float, float], str] = {}  # (lat, lon) rounded to 2 places -> zone
        self.always: Scripted | None = None  # answer every request this way (outage)
        self.requests: list[Seen] = []
        self._script: deque[Scripted] = deque()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle -------------------------------------------------------------------------------------------
    def start(self) -> FakeElectricityMaps:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            wbufsize = 1 << 16  # one write per response (headers and body): no delayed-ACK stalls

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                fake._handle(self)

            def do_POST(self) -> None:
                fake._send(self, 405, {"error": "Method not allowed"})

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeElectricityMaps:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start the fake first"
        return f"http://127.0.0.1:{self._server.server_address[1]}/v3"

    # ---- scripting ---------------------------------------------------------------------------------------------
    def then(self, *answers: Scripted) -> None:
        with self._lock:
            self._script.extend(answers)

    def hits(self, path: str | None = None) -> int:
        return sum(1 for r in self.requests if path is None or r.path == path)

    # ---- the API -----------------------------------------------------------------------------------------------
    def _next_scripted(self, path: str) -> Scripted | None:
        with self._lock:
            if self.always is not None:
                return self.always
            if self._script and self._script[0].path in (None, path):
                return self._script.popleft()
        return None

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        headers = {k.lower(): v for k, v in handler.headers.items()}
        with self._lock:
            self.requests.append(Seen("GET", parts.path, query, headers))
        if parts.path not in (INTENSITY_PATH, BREAKDOWN_PATH):
            return self._send(handler, 404, {"error": "Not found", "message": f"No route for {parts.path}"})
        if headers.get("auth-token") != self.api_key:
            return self._send(handler, 401, {"error": "Invalid auth-token", "message": "Please provide a valid token"})
        scripted = self._next_scripted(parts.path)
        if scripted is not None:
            if scripted.hang_s:
                time.sleep(scripted.hang_s)
            return self._send(handler, scripted.status, scripted.body, scripted.headers)
        zone, problem = self._zone_for(query)
        if problem is not None:
            return self._send(handler, *problem)
        assert zone is not None
        if parts.path == INTENSITY_PATH:
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
        return self._send(handler, 200, body)

    def _zone_for(self, query: dict[str, str]) -> tuple[str | None, tuple[int, Any] | None]:
        keys = set(query)
        if keys == {"zone"}:
            zone = query["zone"]
            if zone not in self.zones:
                return None, (404, {"error": "Zone not found", "message": f"Zone '{zone}' does not exist"})
            return zone, None
        if keys == {"lat", "lon"}:
            try:
                lat, lon = float(query["lat"]), float(query["lon"])
            except ValueError:
                return None, (400, {"error": "Bad request", "message": "lat and lon must be numbers"})
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                return None, (400, {"error": "Bad request", "message": "lat/lon out of range"})
            zone = self.points.get((round(lat, 2), round(lon, 2)))
            if zone is None:
                return None, (404, {"error": "Zone not found", "message": "No zone for these coordinates"})
            return zone, None
        return None, (400, {"error": "Bad request", "message": "give either zone, or lat and lon"})

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
        try:
            handler.send_response(status)
            handler.send_header("content-type", "application/json; charset=utf-8")
            handler.send_header("content-length", str(len(raw)))
            for key, value in (headers or {}).items():
                handler.send_header(key, value)
            handler.end_headers()
            handler.wfile.write(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout tests)
