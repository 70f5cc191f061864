"""Realtime on the real appwrite.json: each row write reaches exactly the subscribers whose roles may read it.

The owner of an activity gets it, every signed-in user gets leaderboard rows, guests get neither, and rows of
the backend-only tables reach nobody (reference appwrite-rest.md section 7, "Who receives an event").
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import websockets
from appwrite.services.tables_db import TablesDB

from ecotrace.tables.permissions import owner_permissions
from ecotrace_local.testing import StackHandle, run_stack
from tests.integration.localstack.ls_support import REPO_ROOT
from tests.integration.localstack.test_real_access import SCHEMA, minimal_row

DB = SCHEMA["tablesDB"][0]["$id"]
WRITES = [  # (table, row id, permissions as the code writes them)
    ("activities", "act-a", owner_permissions("acc-a")),
    ("leaderboards", "lb-1", []),
    ("emission_factors", "ef-1", []),
    ("webhook_deliveries", "wd-1", []),
    ("user_stats", "gh_1", owner_permissions("acc-a")),
]


async def _listen(stack: StackHandle, tokens: dict[str, str | None]) -> dict[str, set[str]]:
    base = f"ws://127.0.0.1:{stack.stack.config.port}/v1/realtime?project={stack.project_id}&channels[]=rows"
    sockets = {}
    for name, token in tokens.items():
        sockets[name] = await websockets.connect(base + (f"&jwt={token}" if token else ""))
        assert json.loads(await asyncio.wait_for(sockets[name].recv(), 10))["type"] == "connected"

    def write_all() -> None:
        key = TablesDB(stack.client())
        for table, row_id, permissions in WRITES:
            key.create_row(DB, table, row_id, minimal_row(table), permissions=permissions)
        # A marker every signed-in subscriber can read, written last: once it arrives, nothing else is coming.
        key.create_row(DB, "leaderboards", "lb-last", minimal_row("leaderboards"))

    await asyncio.to_thread(write_all)
    received: dict[str, set[str]] = {}
    for name, ws in sockets.items():
        got: set[str] = set()
        if tokens[name] is not None:
            while "lb-last" not in got:
                frame: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if frame["type"] == "event":
                    got.add(frame["data"]["payload"]["$id"])
            got.discard("lb-last")
        else:
            # A guest reads none of these rows: it may only ever see nothing (checked until the others are done).
            try:
                while True:
                    frame = json.loads(await asyncio.wait_for(ws.recv(), 0.5))
                    if frame["type"] == "event":
                        got.add(frame["data"]["payload"]["$id"])
            except TimeoutError:
                pass
        received[name] = got
        await ws.close()
    return received


def test_each_write_reaches_only_those_who_may_read_it(tmp_path: Path) -> None:
    tables_only = {**SCHEMA, "functions": []}
    env = {"ECOTRACE_RUN_SCHEDULES": "0"}
    with run_stack(REPO_ROOT, db_path=tmp_path / "db.sqlite3", env=env, appwrite_json=tables_only) as stack:
        tokens: dict[str, str | None] = {
            "owner": stack.user_jwt("acc-a"),
            "other": stack.user_jwt("acc-b"),
            "guest": None,
        }
        received = asyncio.run(_listen(stack, tokens))
    assert received == {"owner": {"act-a", "lb-1", "gh_1"}, "other": {"lb-1"}, "guest": set()}
