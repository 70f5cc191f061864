"""Placeholder: executions API and function domains (owned by the runtime work)."""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute


def routes(stack: Any) -> list[BaseRoute]:
    return []


def install(stack: Any) -> None:
    """Called once at start-up: subscribe event triggers, start schedules."""


def uninstall(stack: Any) -> None:
    """Called once at shutdown."""
