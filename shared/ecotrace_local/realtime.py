"""Placeholder: the realtime websocket (owned by the runtime work)."""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute


def routes(stack: Any) -> list[BaseRoute]:
    return []
