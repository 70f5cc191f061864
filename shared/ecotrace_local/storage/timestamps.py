"""Appwrite's datetime wire format (``YYYY-MM-DDTHH:MM:SS.mmm+00:00``, always UTC) and lenient ISO 8601 parsing."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any


def format_datetime(moment: datetime) -> str:
    """Appwrite's wire format ``YYYY-MM-DDTHH:MM:SS.mmm+00:00`` (always UTC)."""
    utc = moment.astimezone(UTC)
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}."
        f"{utc.microsecond // 1000:03d}+00:00"
    )


def now_iso() -> str:
    return format_datetime(datetime.now(UTC))


_DATETIME_RE = re.compile(
    r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?(Z|[+-]\d{2}:?\d{2}(:\d{2}(\.\d{1,6})?)?)?$"
)


def parse_datetime(value: Any) -> datetime | None:
    """ISO 8601 date or date-time; a value without an offset is UTC (as Appwrite stores it). None if invalid."""
    if not isinstance(value, str) or not _DATETIME_RE.match(value.strip()):
        return None
    text = value.strip().replace(" ", "T", 1)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def normalize_datetime(value: Any) -> str | None:
    parsed = parse_datetime(value)
    if parsed is None:
        return None
    try:
        return format_datetime(parsed)
    except OverflowError:  # e.g. 0001-01-01T00:00+05:00 is before year 1 in UTC
        return None
