"""Time is timezone-aware UTC and injected where it matters."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def to_iso(moment: datetime) -> str:
    """Appwrite's datetime format: ``2025-01-31T12:34:56.789+00:00``."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    m = moment.astimezone(UTC)
    # explicit fields: strftime("%Y") does not pad years below 1000 to four digits on every platform
    return (
        f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}."
        f"{m.microsecond // 1000:03d}+00:00"
    )


def parse_iso(value: str) -> datetime:
    """Parse an ISO 8601 timestamp (``Z`` or an offset) to aware UTC; naive input is taken as UTC."""
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
