"""Who a realtime connection is (Appwrite 1.9.6 ``app/init/realtime/connection.php``,
``Realtime/Message/Handlers/Authentication.php``), kept apart from the socket loop in ``realtime.py``:

- on upgrade, like REST: a session cookie (a page on the stack's own origin sends it with the upgrade) or
  ``X-Fallback-Cookies``; else a JWT from ``?jwt=`` or ``X-Appwrite-JWT`` (a bad JWT -> ``error`` 401, close);
- afterwards, the web SDK's ``{"type":"authentication","data":{"session":"<credential>"}}`` (what it sends when it
  holds a session from ``localStorage.cookieFallback`` and ``connected.data.user`` was empty): a live session
  makes the connection that user, with every subscription re-read with the user's roles (``account`` gains
  ``account.<id>``), answered ``response`` ``{to: "authentication", success: true, user}``; anything else
  ``error`` 1003 "Session is not valid." with the socket kept open.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..runtime.realtime import ERROR_BAD_MESSAGE, Frame, error_frame, frame
from ..storage import jsontext
from ..storage.access import GUEST, Caller
from ..storage.users import Users
from .auth import Callers, session_credential


def caller_on_upgrade(callers: Callers, headers: Mapping[str, str], params: Mapping[str, str]) -> Caller:
    """The connection's caller from its upgrade request (raises ``AppwriteError`` for a bad JWT)."""
    token = params.get("jwt") or headers.get("x-appwrite-jwt")
    if token:
        return callers.from_jwt(token)
    credential = session_credential(headers, callers.project_id)
    found = callers.from_session(credential) if credential else None
    return found or GUEST


def user_json(users: Users, caller: Caller) -> dict[str, Any] | None:
    if caller.kind != "user" or not caller.user_id:
        return None
    return users.get(caller.user_id)


def authenticate(text: str, callers: Callers, users: Users) -> tuple[Caller | None, Frame] | None:
    """An ``authentication`` message's session user (None when not live) and the answer to send; None when
    ``text`` is some other message. The hub signs the connection in (``RealtimeHub.sign_in``, on its loop)."""
    try:
        message = jsontext.loads(text)  # ValueError, nesting depth included
    except ValueError:
        return None
    if not isinstance(message, dict) or message.get("type") != "authentication":
        return None
    data = message.get("data")
    credential = data.get("session") if isinstance(data, dict) else None
    caller = callers.from_session(credential) if isinstance(credential, str) and credential else None
    if caller is None:
        return None, error_frame(ERROR_BAD_MESSAGE, "Session is not valid.")
    return caller, frame("response", {"to": "authentication", "success": True, "user": user_json(users, caller)})
