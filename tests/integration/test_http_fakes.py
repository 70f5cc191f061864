"""The strict HTTP fakes answer as the real APIs do where EcoTrace could go wrong: unknown routes, wrong
credentials, scripted failures given where the real API would fail, and every request recorded."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.fakes.electricity_maps import INTENSITY_PATH, FakeElectricityMaps, Scripted
from tests.fakes.github_api import FakeGitHub

GITHUB_HEADERS = {"accept": "application/vnd.github+json"}


@pytest.fixture
def electricity_maps() -> Iterator[FakeElectricityMaps]:
    with FakeElectricityMaps(api_key="em-key") as fake:
        yield fake


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub(token="ghp_app") as fake:
        yield fake


def test_electricity_maps_refuses_unknown_routes_wrong_keys_and_other_methods(
    electricity_maps: FakeElectricityMaps,
) -> None:
    base = electricity_maps.base_url
    unknown = httpx.get(f"{base}/carbon-intensity/forecast", params={"zone": "DE"}, headers={"auth-token": "em-key"})
    assert (unknown.status_code, unknown.json()["error"]) == (404, "Not found")
    wrong_key = httpx.get(f"{base}/carbon-intensity/latest", params={"zone": "DE"}, headers={"auth-token": "nope"})
    assert (wrong_key.status_code, wrong_key.json()["error"]) == (401, "Invalid auth-token")
    posted = httpx.post(f"{base}/carbon-intensity/latest", headers={"auth-token": "em-key"})
    assert posted.status_code == 405
    assert [(seen.method, seen.path) for seen in electricity_maps.requests] == [
        ("GET", "/v3/carbon-intensity/forecast"),
        ("GET", INTENSITY_PATH),
        ("POST", INTENSITY_PATH),
    ]


def test_electricity_maps_scripts_apply_after_auth_and_only_to_their_path(
    electricity_maps: FakeElectricityMaps,
) -> None:
    base = electricity_maps.base_url
    electricity_maps.then(Scripted(429, {"error": "slow down"}, {"retry-after": "7"}, path=INTENSITY_PATH))
    unauthorised = httpx.get(f"{base}/carbon-intensity/latest", params={"zone": "DE"})
    assert unauthorised.status_code == 401  # a wrong key is refused before any scripted answer is used
    breakdown = httpx.get(f"{base}/power-breakdown/latest", params={"zone": "DE"}, headers={"auth-token": "em-key"})
    assert breakdown.status_code == 200  # the script is for the other endpoint
    limited = httpx.get(f"{base}/carbon-intensity/latest", params={"zone": "DE"}, headers={"auth-token": "em-key"})
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "7")
    assert electricity_maps.hits(INTENSITY_PATH) == 2


def test_github_refuses_unknown_tokens_and_routes_and_knows_whose_token_it_is(github: FakeGitHub) -> None:
    github.add_user("gho_person", 42, "person")
    who = httpx.get(f"{github.base_url}/user", headers={**GITHUB_HEADERS, "authorization": "Bearer gho_person"})
    assert (who.status_code, who.json()["login"], who.json()["id"]) == (200, "person", 42)
    stranger = httpx.get(f"{github.base_url}/user", headers={**GITHUB_HEADERS, "authorization": "Bearer gho_other"})
    assert (stranger.status_code, stranger.json()["message"]) == (401, "Bad credentials")
    no_scheme = httpx.get(f"{github.base_url}/user", headers={**GITHUB_HEADERS, "authorization": "ghp_app"})
    assert no_scheme.status_code == 401
    unknown = httpx.get(
        f"{github.base_url}/repos/o/r/pulls", headers={**GITHUB_HEADERS, "authorization": "Bearer ghp_app"}
    )
    assert (unknown.status_code, unknown.json()["message"]) == (404, "Not Found")
    assert unknown.headers["x-ratelimit-remaining"] == str(github.limit - 2)  # the /user and the 404 counted
    not_json = httpx.get(f"{github.base_url}/user", headers={"authorization": "Bearer ghp_app"})
    assert not_json.status_code == 415
    assert github.hits("^/user$") == 4
