"""How a session reaches the client, as Appwrite 1.9.6 sends it (``account.php``, ``request.php``):

- two cookies with the same credential: ``a_session_<project>_legacy`` (no SameSite attribute) and
  ``a_session_<project>`` (``SameSite=None``), both ``HttpOnly``, ``path=/``, expiring with the session, and
  host-only (Appwrite sets no domain for ``localhost`` or an IP address). Chrome drops a ``SameSite=None`` cookie
  without ``Secure`` on plain http, so on ``http://127.0.0.1`` the ``_legacy`` cookie is the one a browser keeps;
  that is why Appwrite reads both;
- the ``X-Fallback-Cookies`` header ``{"a_session_<project>": "<credential>"}``, which Appwrite sends whenever the
  request's origin is not on the API's registrable domain (always so for an IP address or ``localhost``); the
  web SDK keeps it in ``localStorage.cookieFallback`` and sends it back on every request;
- signing out expires both cookies and sends ``X-Fallback-Cookies: []``.

The value is URL-encoded in the cookie, as PHP's ``setcookie`` does; ``auth.py`` decodes it.
"""

from __future__ import annotations

import json
import time
from email.utils import formatdate
from urllib.parse import quote

from starlette.responses import Response

from .auth import session_cookie_name


def _cookie(name: str, value: str, expires_at: float, *, same_site_none: bool, secure: bool) -> str:
    parts = [f"{name}={quote(value, safe='')}", f"expires={formatdate(expires_at, usegmt=True)}", "path=/"]
    if secure:
        parts.append("secure")
    parts.append("httponly")
    if same_site_none:
        parts.append("samesite=None")
    return "; ".join(parts)


def set_session(response: Response, project_id: str, credential: str, expires_at: float, *, secure: bool) -> None:
    """The two session cookies and the fallback header on ``response``."""
    name = session_cookie_name(project_id)
    response.headers.append("set-cookie", _cookie(f"{name}_legacy", credential, expires_at, same_site_none=False,
                                                  secure=secure))  # fmt: skip
    response.headers.append("set-cookie", _cookie(name, credential, expires_at, same_site_none=True, secure=secure))
    response.headers["x-fallback-cookies"] = json.dumps({name: credential}, separators=(",", ":"))


def clear_session(response: Response, project_id: str, *, secure: bool) -> None:
    """Expire both session cookies and empty the fallback (``X-Fallback-Cookies: []``)."""
    name = session_cookie_name(project_id)
    past = time.time() - 3600
    response.headers.append("set-cookie", _cookie(f"{name}_legacy", "", past, same_site_none=False, secure=secure))
    response.headers.append("set-cookie", _cookie(name, "", past, same_site_none=True, secure=secure))
    response.headers["x-fallback-cookies"] = "[]"
