"""The one place an error becomes a response: every ``AppwriteError`` raised by a handler, a service or a
middleware is answered with Appwrite's error JSON ``{"message","code","type","version"}``; Starlette's own 404/405
become Appwrite's ``general_route_not_found``; a client that disconnects before its body is in is one warning line
(nobody is left to answer); anything else is a 500 "Server Error" whose traceback uvicorn logs once."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from ..errors import AppwriteError

log = logging.getLogger(__name__)

ERROR_MEDIA = "application/json; charset=UTF-8"


def error_response(error: AppwriteError) -> JSONResponse:
    body = error.body()
    return JSONResponse(body, status_code=int(body["code"]), media_type=ERROR_MEDIA)


def route_not_found() -> AppwriteError:
    return AppwriteError(
        404, "general_route_not_found", "The requested route was not found. Please refer to the API docs and try again."
    )


async def appwrite_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppwriteError)
    return error_response(exc)


async def http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code in (404, 405):
        return error_response(route_not_found())
    return error_response(AppwriteError(exc.status_code, "general_unknown", str(exc.detail)))


async def client_disconnected(request: Request, exc: Exception) -> Response:
    log.warning("%s %s: the client disconnected before sending its whole body", request.method, request.url.path)
    return error_response(AppwriteError(400, "general_bad_request", "The request body was not received whole."))


async def server_error(request: Request, exc: Exception) -> Response:
    # Starlette re-raises after this handler and uvicorn logs the traceback then: one line here, not a second one.
    log.error("unhandled error on %s %s: %s: %s", request.method, request.url.path, type(exc).__name__, exc)
    return error_response(AppwriteError(500, "general_unknown", "Server Error"))


EXCEPTION_HANDLERS = {
    AppwriteError: appwrite_error,
    HTTPException: http_exception,
    ClientDisconnect: client_disconnected,
    Exception: server_error,
}
