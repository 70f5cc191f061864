"""Appwrite ids: ``ID.unique()`` and the UID rule (at most 36 of a-z, A-Z, 0-9, ``.``, ``-``, ``_``)."""

from __future__ import annotations

import os
import re
import time
from typing import Any

_UID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,35}$")


def is_uid(value: Any) -> bool:
    return isinstance(value, str) and bool(_UID_RE.match(value))


def new_unique_id() -> str:
    """Appwrite ``ID::unique()``: 13 hex chars from the time (uniqid) + 7 random hex chars."""
    now = time.time()
    seconds = int(now)
    micros = int((now - seconds) * 1_000_000)
    return f"{seconds:08x}{micros:05x}" + os.urandom(4).hex()[:7]
