"""The Starlette app of the local stack: the route table, the middleware in order, the exception handlers, and
the services the handlers receive (built by the composition root, ``ecotrace_local.stack``)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterable

import anyio.to_thread
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Route, WebSocketRoute

from ..storage.credentials import Credentials
from ..storage.sessions import Sessions
from ..storage.users import Users
from .auth import Callers
from .endpoint import Endpoint, Services
from .exceptions import EXCEPTION_HANDLERS
from .faults import Faults, RequestLog
from .middleware import (
    CorsMiddleware,
    EmptyResponseMiddleware,
    FaultMiddleware,
    HostMiddleware,
    RequestLogMiddleware,
)
from .platforms import Platforms
from .routes import ROUTES

# Every REST call runs in the thread pool (SQLite blocks) and functions call back into the stack while other
# requests wait on them: allow more than anyio's default 40 threads.
THREAD_LIMIT = 200


def _endpoints(routes: Iterable[BaseRoute]) -> list[Endpoint]:
    found = []
    for route in routes:
        if isinstance(route, Route | WebSocketRoute):
            bound = getattr(route.endpoint, "__self__", None)
            if isinstance(bound, Endpoint):
                found.append(bound)
    return found


def create_app(
    services: Iterable[object], *, on_startup: Callable[[], None], on_shutdown: Callable[[], None]
) -> Starlette:
    """The app serving :data:`~ecotrace_local.http.routes.ROUTES` with ``services`` (one instance per type; the
    ``Faults`` and ``RequestLog`` among them drive the middleware). ``on_startup`` / ``on_shutdown`` run in the
    thread pool when the server starts and stops."""
    registry = list(services)
    lookup = Services(registry)
    if Credentials in lookup and Users in lookup:
        sessions = lookup.get(Sessions) if Sessions in lookup else None
        registry.append(Callers(lookup.get(Credentials), lookup.get(Users), sessions))  # caller resolution (auth.py)
        lookup = Services(registry)
    missing = sorted(
        {f"{e.handler.__module__}.{e.handler.__qualname__} needs {kind.__name__}"
         for e in _endpoints(ROUTES) for kind in e.dependencies if kind not in lookup}
    )  # fmt: skip
    if missing:
        raise LookupError("services missing for routes: " + "; ".join(missing))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = THREAD_LIMIT
        await run_in_threadpool(on_startup)
        try:
            yield
        finally:
            await run_in_threadpool(on_shutdown)

    platforms = lookup.get(Platforms) if Platforms in lookup else Platforms()
    app = Starlette(
        routes=ROUTES,
        lifespan=lifespan,
        exception_handlers=dict(EXCEPTION_HANDLERS),
        middleware=[  # outermost first (middleware.py)
            Middleware(RequestLogMiddleware, request_log=lookup.get(RequestLog)),
            Middleware(HostMiddleware, platforms=platforms),
            Middleware(CorsMiddleware, platforms=platforms),
            Middleware(EmptyResponseMiddleware),
            Middleware(FaultMiddleware, faults=lookup.get(Faults)),
        ],
    )
    app.state.services = lookup
    return app
