"""The local stack's one route table: module-level handlers, each given the services it declares, and an app that
refuses to start when a route needs a service nobody registered."""

from __future__ import annotations

import pytest
from starlette.routing import Route, WebSocketRoute

from ecotrace_local.http.app import create_app
from ecotrace_local.http.endpoint import Endpoint
from ecotrace_local.http.faults import Faults, RequestLog
from ecotrace_local.http.routes import ROUTES
from ecotrace_local.storage.credentials import Credentials


def _endpoints() -> list[tuple[str, Endpoint]]:
    found = []
    for route in ROUTES:
        assert isinstance(route, Route | WebSocketRoute)
        bound = getattr(route.endpoint, "__self__", None)
        assert isinstance(bound, Endpoint), f"{route.path} is not served through endpoint()/websocket()"
        found.append((route.path, bound))
    return found


def test_every_handler_is_a_module_level_function_of_the_http_layer() -> None:
    for path, bound in _endpoints():
        assert "<locals>" not in bound.handler.__qualname__, f"{path}: a closure holds its handler"
        assert bound.handler.__module__.startswith("ecotrace_local.http."), path


def test_each_method_and_path_is_listed_once() -> None:
    seen: list[tuple[str, str]] = []
    for route in ROUTES:
        methods = sorted(route.methods or ()) if isinstance(route, Route) else ["WEBSOCKET"]
        seen.extend((method, route.path) for method in methods)
    assert len(seen) == len(set(seen))


def test_an_app_missing_a_service_a_route_needs_is_refused_at_build_time() -> None:
    # GIVEN the services of a stack without users, rows, functions, ...
    services = [Credentials("p", "key", "secret"), Faults(), RequestLog()]
    # WHEN the app is built THEN it names what is missing instead of failing on the first request
    with pytest.raises(LookupError) as missing:
        create_app(services, on_startup=lambda: None, on_shutdown=lambda: None)
    assert "users.get_user needs Users" in str(missing.value)
    assert "rows.list_rows needs Rows" in str(missing.value)
