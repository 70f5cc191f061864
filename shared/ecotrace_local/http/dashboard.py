"""The live dashboard page the local stack serves at ``/`` (the reference for the real frontend: ``dashboard/`` in
the checkout, plain HTML and JavaScript on the official web SDK), and its files under ``/dashboard/``.

``GET /`` answers the page to a browser (``Accept: text/html``) and the stack's description (JSON) to anyone
else. The SDK's browser bundle is npm ``appwrite``'s ``dist/iife/sdk.js`` from ``node_modules`` (``make node``,
which ``make dev`` runs), served as ``/dashboard/vendor/appwrite.js``. Only the files listed here are served.
The page is on the API's own origin, so it needs no CORS, and its session cookie is same-site.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response

from .health import about

JS = "text/javascript; charset=utf-8"
FILES = {
    "app.js": ("dashboard/app.js", JS),
    "chart.js": ("dashboard/chart.js", JS),
    "style.css": ("dashboard/style.css", "text/css; charset=utf-8"),
    "vendor/appwrite.js": ("node_modules/appwrite/dist/iife/sdk.js", JS),
}
NO_STORE = {"cache-control": "no-store"}  # a local checkout changes under the page: never serve a stale copy


class DashboardFiles:
    """Where the dashboard's files are: the checkout (``StackConfig.root``)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, relative: str) -> Path:
        return self.root / relative


async def home(request: Request, files: DashboardFiles) -> Response:
    if "text/html" not in request.headers.get("accept", ""):
        return JSONResponse(about())
    page = files.path("dashboard/index.html")
    if not page.is_file():
        return PlainTextResponse("The dashboard is not in this checkout (dashboard/index.html).", status_code=404)
    return FileResponse(page, media_type="text/html; charset=utf-8", headers=NO_STORE)


async def asset(request: Request, files: DashboardFiles) -> Response:
    entry = FILES.get(str(request.path_params["name"]))
    if entry is None:
        return PlainTextResponse("Not found.", status_code=404)
    relative, media = entry
    found = files.path(relative)
    if not found.is_file():
        hint = " Run `make node` (make dev does) to install the web SDK." if relative.startswith("node_modules") else ""
        return PlainTextResponse(f"{relative} is missing.{hint}", status_code=404)
    return FileResponse(found, media_type=media, headers=NO_STORE)
