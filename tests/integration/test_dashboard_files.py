"""The local stack serves the dashboard page to browsers at ``/``, its files under ``/dashboard/``, and nothing else
from the checkout; anything but a browser still gets the stack's description at ``/``."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from ecotrace_local.testing import StackHandle, run_stack
from tests.integration.project_stack import ROOT


@pytest.fixture(scope="module")
def module_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackHandle]:
    db = tmp_path_factory.mktemp("dashboard") / "db.sqlite3"
    with run_stack(ROOT, db_path=db, env={"ECOTRACE_RUN_SCHEDULES": "0"}) as handle:
        yield handle


def test_a_browser_gets_the_page_and_a_client_the_description(stack: StackHandle) -> None:
    page = httpx.get(stack.base_url + "/", headers={"accept": "text/html,application/xhtml+xml"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<script src="/dashboard/vendor/appwrite.js">' in page.text
    about = httpx.get(stack.base_url + "/").json()
    assert (about["name"], about["endpoint"]) == ("ecotrace-local", "/v1")


@pytest.mark.parametrize("name", ["app.js", "chart.js", "style.css"])
def test_the_page_files_are_served(stack: StackHandle, name: str) -> None:
    response = httpx.get(f"{stack.base_url}/dashboard/{name}")
    assert response.status_code == 200
    assert response.text == (ROOT / "dashboard" / name).read_text(encoding="utf-8")


def test_the_sdk_bundle_comes_from_node_modules_or_says_how_to_get_it(stack: StackHandle) -> None:
    response = httpx.get(f"{stack.base_url}/dashboard/vendor/appwrite.js")
    bundle = ROOT / "node_modules" / "appwrite" / "dist" / "iife" / "sdk.js"
    if bundle.exists():
        assert response.status_code == 200
        assert response.content == bundle.read_bytes()
    else:
        assert response.status_code == 404
        assert "make node" in response.text


@pytest.mark.parametrize("path", ["/dashboard/../appwrite.json", "/dashboard/index.html", "/dashboard/vendor/x.js"])
def test_nothing_else_is_served(stack: StackHandle, path: str) -> None:
    assert httpx.get(stack.base_url + path).status_code == 404
