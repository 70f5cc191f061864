"""The local stack serving this project's own appwrite.json, for integration tests of the real functions."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from ecotrace_local.testing import StackHandle, run_stack

ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def project_stack(
    workdir: Path, *, functions: Iterable[str] | None = None, env: dict[str, str] | None = None
) -> Iterator[StackHandle]:
    """Run the stack on ``workdir``'s SQLite file with the real appwrite.json, deploying only ``functions``
    (default: all) so no other function's triggers change rows while a test compares them. Schedules are off
    unless ``env`` turns them on."""
    data = json.loads((ROOT / "appwrite.json").read_text(encoding="utf-8"))
    if functions is not None:
        wanted = set(functions)
        data["functions"] = [f for f in data["functions"] if f["$id"] in wanted]
    settings = {"ECOTRACE_RUN_SCHEDULES": "0", **(env or {})}
    with run_stack(ROOT, db_path=workdir / "local.sqlite3", env=settings, appwrite_json=data) as handle:
        yield handle
