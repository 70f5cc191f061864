"""The Electricity Maps client against the strict loopback fake: recorded shapes and every error."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest

from ecotrace.adapters.electricity_maps import ElectricityMapsClient, ElectricityMapsError, Target
from tests.fakes.electricity_maps import BREAKDOWN_PATH, INTENSITY_PATH, FakeElectricityMaps, Scripted, fixture

KEY = "em-live-secret-DO-NOT-LEAK-7f3a"


@pytest.fixture(scope="module")
def server() -> Iterator[FakeElectricityMaps]:
    with FakeElectricityMaps(api_key=KEY) as fake:
        yield fake


@pytest.fixture
def fake(server: FakeElectricityMaps) -> FakeElectricityMaps:
    server.requests.clear()
    server.intensity.clear()
    server.renewable.clear()
    server.points.clear()
    server.always = None
    server._script.clear()
    return server


def client(fake: FakeElectricityMaps, key: str = KEY, read_s: float = 2.0) -> ElectricityMapsClient:
    return ElectricityMapsClient(key, base_url=fake.base_url, timeout=httpx.Timeout(read_s, connect=1.0))


def assert_no_key(exc: ElectricityMapsError, caplog: pytest.LogCaptureFixture) -> None:
    for text in (str(exc), repr(exc), exc.message, repr(exc.details), caplog.text):
        assert KEY not in text


def test_latest_reads_the_recorded_shapes(fake: FakeElectricityMaps) -> None:
    recorded = fixture("latest_carbon_intensity.json")
    reading = client(fake).latest(Target(zone="US-CAR-DUK"))
    assert reading.zone == "US-CAR-DUK"
    assert reading.g_co2e_per_kwh == recorded["carbonIntensity"]
    assert reading.renewable_percentage == fixture("latest_power_breakdown.json")["renewablePercentage"]
    assert reading.is_estimated is True
    assert reading.estimation_method == "TIME_SLICER_AVERAGE"
    assert reading.measured_at is not None
    assert reading.measured_at.isoformat() == "2024-03-06T19:00:00+00:00"
    seen = fake.requests[0]
    assert (seen.path, seen.query, seen.headers["auth-token"]) == (INTENSITY_PATH, {"zone": "US-CAR-DUK"}, KEY)
    assert fake.requests[1].path == BREAKDOWN_PATH


def test_a_point_is_asked_for_by_lat_and_lon(fake: FakeElectricityMaps) -> None:
    fake.points[(52.52, 13.41)] = "DE"
    fake.intensity["DE"] = 321
    reading = client(fake).latest(Target(lat=52.52, lon=13.41))
    assert (reading.zone, reading.g_co2e_per_kwh) == ("DE", 321)
    assert set(fake.requests[0].query) == {"lat", "lon"}


def test_401_bad_key(fake: FakeElectricityMaps, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "em-wrong-key-also-secret"
    with pytest.raises(ElectricityMapsError) as caught:
        client(fake, key=wrong).latest(Target(zone="DE"))
    assert (caught.value.kind, caught.value.http_status, caught.value.transient) == ("unauthorized", 401, False)
    assert "Invalid auth-token" in caught.value.message
    assert wrong not in str(caught.value) + repr(caught.value.details) + caplog.text


def test_403_forbidden(fake: FakeElectricityMaps, caplog: pytest.LogCaptureFixture) -> None:
    fake.then(Scripted(403, {"error": "Forbidden", "message": "zone not in your plan"}))
    with pytest.raises(ElectricityMapsError) as caught:
        client(fake).carbon_intensity(Target(zone="FR"))
    assert (caught.value.kind, caught.value.transient) == ("forbidden", False)
    assert_no_key(caught.value, caplog)


def test_404_unknown_zone(fake: FakeElectricityMaps, caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(ElectricityMapsError) as caught:
        client(fake).latest(Target(zone="XX-NOWHERE"))
    assert (caught.value.kind, caught.value.http_status) == ("zone_not_found", 404)
    assert_no_key(caught.value, caplog)


def test_429_carries_retry_after(fake: FakeElectricityMaps, caplog: pytest.LogCaptureFixture) -> None:
    fake.then(Scripted(429, {"error": "Too many requests"}, headers={"Retry-After": "7"}))
    with pytest.raises(ElectricityMapsError) as caught:
        client(fake).carbon_intensity(Target(zone="DE"))
    assert (caught.value.kind, caught.value.transient, caught.value.retry_after_s) == ("rate_limited", True, 7.0)
    assert_no_key(caught.value, caplog)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_is_transient(fake: FakeElectricityMaps, status: int) -> None:
    fake.then(Scripted(status, b"<html>upstream trouble</html>"))
    with pytest.raises(ElectricityMapsError) as caught:
        client(fake).carbon_intensity(Target(zone="DE"))
    assert (caught.value.kind, caught.value.http_status, caught.value.transient) == ("server_error", status, True)


def test_timeout(fake: FakeElectricityMaps, caplog: pytest.LogCaptureFixture) -> None:
    fake.then(Scripted(hang_s=1.0, body=fixture("latest_carbon_intensity.json")))
    with pytest.raises(ElectricityMapsError) as caught:
        client(fake, read_s=0.2).carbon_intensity(Target(zone="DE"))
    assert (caught.value.kind, caught.value.transient) == ("timeout", True)
    assert_no_key(caught.value, caplog)


def test_connection_refused() -> None:
    dead = ElectricityMapsClient(KEY, base_url="http://127.0.0.1:9/v3", timeout=httpx.Timeout(1.0))
    with pytest.raises(ElectricityMapsError) as caught:
        dead.carbon_intensity(Target(zone="DE"))
    assert (caught.value.kind, caught.value.transient) == ("connection", True)


@pytest.mark.parametrize(
    ("body", "what"),
    [
        (b"not json at all", "not JSON"),
        (b"[1, 2, 3]", "not an object"),
        ({"zone": "DE", "datetime": "2024-03-06T19:00:00.000Z"}, "no carbonIntensity"),
        ({"zone": "DE", "carbonIntensity": "216"}, "not a number"),
        ({"zone": "DE", "carbonIntensity": -5}, "outside"),
        ({"carbonIntensity": 216}, "no zone"),
        ({"zone": "DE", "carbonIntensity": 216, "datetime": "yesterday"}, "ISO 8601"),
    ],
)
def test_malformed_bodies(fake: FakeElectricityMaps, body: object, what: str) -> None:
    fake.then(Scripted(200, body, path=INTENSITY_PATH))
    with pytest.raises(ElectricityMapsError, match=what) as caught:
        client(fake).latest(Target(zone="DE"), with_breakdown=False)
    assert (caught.value.kind, caught.value.transient) == ("malformed", False)


def test_legacy_no_data_shape(fake: FakeElectricityMaps) -> None:
    fake.then(Scripted(200, fixture("no-data-response.json")))
    with pytest.raises(ElectricityMapsError) as caught:
        client(fake).carbon_intensity(Target(zone="DE"))
    assert caught.value.kind == "no_data"


def test_a_failing_breakdown_keeps_the_intensity(fake: FakeElectricityMaps) -> None:
    fake.then(Scripted(403, {"error": "Forbidden"}, path=BREAKDOWN_PATH))
    fake.intensity["FR"] = 31
    # the intensity request is answered normally; the scripted 403 waits for the breakdown path
    fake._script[0].path = BREAKDOWN_PATH
    reading = client(fake).latest(Target(zone="FR"))
    assert reading.g_co2e_per_kwh == 31
    assert reading.renewable_percentage is None
    assert reading.breakdown_error is not None
    assert "403" in reading.breakdown_error


def test_the_key_stays_out_of_repr(fake: FakeElectricityMaps) -> None:
    em = client(fake)
    assert KEY not in repr(em)
    assert KEY not in str(vars(em).get("base_url"))


@pytest.mark.parametrize(
    ("method", "path", "params", "headers", "status"),
    [
        ("GET", "/carbon-intensity/latest", {"zone": "DE"}, {}, 401),
        ("GET", "/carbon-intensity/latest", {"zone": "DE", "lat": "1", "lon": "2"}, {"auth-token": KEY}, 400),
        ("GET", "/carbon-intensity/latest", {"lat": "95", "lon": "2"}, {"auth-token": KEY}, 400),
        ("GET", "/carbon-intensity/latest", {}, {"auth-token": KEY}, 400),
        ("GET", "/carbon-intensity/forecast", {"zone": "DE"}, {"auth-token": KEY}, 404),  # an endpoint not used
        ("POST", "/carbon-intensity/latest", {"zone": "DE"}, {"auth-token": KEY}, 405),
    ],
)
def test_the_fake_is_strict(
    fake: FakeElectricityMaps, method: str, path: str, params: dict[str, str], headers: dict[str, str], status: int
) -> None:
    response = httpx.request(method, fake.base_url + path, params=params, headers=headers, timeout=2)
    assert response.status_code == status
