"""Sample functions and tables for the local stack's function, trigger and realtime tests.

Written into a temporary root (appwrite.json + functions/<id>/src/main.py), so these tests depend on nothing the
real functions do. Every function is an ordinary Appwrite Python function: ``main(context)``, the SDK built from
the ``x-appwrite-key`` header and ``APPWRITE_FUNCTION_*`` variables.
"""

from __future__ import annotations

import contextlib
import json
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from ecotrace_local.testing import StackHandle, run_stack

DB = "db"

T = TypeVar("T")

ECHO = """
import base64
import os


def main(context):
    context.log("echo", context.req.method, context.req.path)
    context.error("to stderr")
    try:
        body_json = context.req.body_json
    except ValueError:
        body_json = "<not json>"
    return context.res.json(
        {
            "method": context.req.method,
            "path": context.req.path,
            "query": context.req.query,
            "headers": context.req.headers,
            "body_b64": base64.b64encode(context.req.body_binary).decode(),
            "body_json": body_json,
            "env": {k: os.environ.get(k, "") for k in ("APPWRITE_FUNCTION_API_ENDPOINT",
                                                        "APPWRITE_FUNCTION_PROJECT_ID", "SAMPLE_SETTING")},
        },
        headers={"x-sample": "yes"},
    )
"""

WHOAMI = """
def main(context):
    return context.res.json({"user": context.req.headers.get("x-appwrite-user-id", "")})
"""

SLOW = """
import time


def main(context):
    time.sleep(2)
    return context.res.text("too late")
"""

BOOM = """
def main(context):
    raise RuntimeError("sample failure")
"""

RAW = """
import hashlib


def main(context):
    digest = hashlib.sha256(context.req.body_binary).hexdigest()
    return context.res.binary(
        b"\\x00\\xffdigest:" + digest.encode(),
        418,
        {"X-Digest": digest, "X-Signature-Seen": context.req.headers.get("x-hub-signature-256", ""),
         "X-Trigger": context.req.headers.get("x-appwrite-trigger", ""),
         "X-User": context.req.headers.get("x-appwrite-user-id", "missing"),
         "X-Path": context.req.path, "X-Query": context.req.query_string,
         "Content-Type": "application/octet-stream"},
    )
"""

# Records what an event or schedule execution received as a row of the "seen" table, with its own key.
RECORDER = """
import json
import os

from appwrite.client import Client
from appwrite.id import ID
from appwrite.services.tables_db import TablesDB


def main(context):
    client = (Client().set_endpoint(os.environ["APPWRITE_FUNCTION_API_ENDPOINT"])
              .set_project(os.environ["APPWRITE_FUNCTION_PROJECT_ID"])
              .set_key(context.req.headers["x-appwrite-key"]))
    headers = context.req.headers
    try:
        row_id = context.req.body_json.get("$id", "")
    except ValueError:
        row_id = ""
    TablesDB(client).create_row("db", "seen", ID.unique(), {
        "trigger": headers.get("x-appwrite-trigger", ""),
        "event": headers.get("x-appwrite-event", "<absent>"),
        "agent": headers.get("user-agent", ""),
        "row_id": row_id,
        "body": context.req.body_text[:2000],
    })
    return context.res.empty()
"""

# Outlives its 1 s timeout, then tries to write with its execution key (Appwrite would have killed it by then).
LATE_WRITER = """
import os
import time

from appwrite.client import Client
from appwrite.services.tables_db import TablesDB


def main(context):
    time.sleep(1.5)
    client = (Client().set_endpoint(os.environ["APPWRITE_FUNCTION_API_ENDPOINT"])
              .set_project(os.environ["APPWRITE_FUNCTION_PROJECT_ID"])
              .set_key(context.req.headers["x-appwrite-key"]))
    TablesDB(client).create_row("db", "seen", "late", {"trigger": "after the timeout"})
    return context.res.empty()
"""

# Updates the very row whose update triggered it: an endless loop without the trigger guard.
LOOPER = """
import os

from appwrite.client import Client
from appwrite.services.tables_db import TablesDB


def main(context):
    client = (Client().set_endpoint(os.environ["APPWRITE_FUNCTION_API_ENDPOINT"])
              .set_project(os.environ["APPWRITE_FUNCTION_PROJECT_ID"])
              .set_key(context.req.headers["x-appwrite-key"]))
    row = context.req.body_json
    TablesDB(client).update_row("db", "counters", row["$id"], {"n": int(row["n"]) + 1})
    return context.res.empty()
"""


def _function(fid: str, **overrides: Any) -> dict[str, Any]:
    spec = {
        "$id": fid,
        "name": fid,
        "runtime": "python-3.12",
        "execute": ["any"],
        "events": [],
        "schedule": "",
        "timeout": 5,
        "enabled": True,
        "logging": True,
        "entrypoint": "src/main.py",
        "commands": "pip install -r requirements.txt",
        "scopes": ["rows.read", "rows.write"],
        "path": f"dist/functions/{fid}",
    }
    spec.update(overrides)
    return spec


def _string(key: str, size: int = 255, required: bool = False) -> dict[str, Any]:
    return {"key": key, "type": "string", "required": required, "array": False, "size": size, "default": None}


def _table(tid: str, columns: list[dict[str, Any]], permissions: list[str], row_security: bool) -> dict[str, Any]:
    return {
        "$id": tid,
        "$permissions": permissions,
        "databaseId": DB,
        "name": tid,
        "enabled": True,
        "rowSecurity": row_security,
        "columns": columns,
        "indexes": [],
    }


SOURCES = {
    "echo": ECHO,
    "members-only": WHOAMI,
    "nobody": WHOAMI,
    "slow": SLOW,
    "boom": BOOM,
    "raw": RAW,
    "on-activity": RECORDER,
    "cron": RECORDER,
    "looper": LOOPER,
    "late-writer": LATE_WRITER,
    "disabled": WHOAMI,
}


def appwrite_json() -> dict[str, Any]:
    return {
        "projectId": "ecotrace",
        "projectName": "EcoTrace test",
        "functions": [
            _function("echo"),
            _function("members-only", execute=["users"]),
            _function("nobody", execute=[]),
            _function("slow", timeout=1),
            _function("boom"),
            _function("raw"),
            _function("on-activity", execute=[], events=[f"databases.{DB}.tables.activities.rows.*.create"]),
            _function("cron", execute=[], schedule="0 */6 * * *"),
            _function("late-writer", timeout=1),
            _function("looper", execute=[], events=[f"databases.{DB}.tables.counters.rows.*.update"]),
            _function("disabled", enabled=False),
            _function("ghost"),  # declared, but no source folder: never deployed
        ],
        "tablesDB": [{"$id": DB, "name": "Test", "enabled": True}],
        "tables": [
            _table("activities", [_string("title")], ['read("any")'], row_security=False),
            _table(
                "seen",
                [_string("trigger"), _string("event"), _string("agent"), _string("row_id"), _string("body", 4000)],
                [],
                row_security=False,
            ),
            _table(
                "counters",
                [{"key": "n", "type": "integer", "required": False, "array": False, "default": 0}],
                [],
                row_security=False,
            ),
            # Readable row by row: the realtime permission tests.
            _table("notes", [_string("text")], [], row_security=True),
        ],
    }


def write_root(root: Path) -> Path:
    for fid, source in SOURCES.items():
        src = root / "functions" / fid / "src"
        src.mkdir(parents=True, exist_ok=True)
        (src / "main.py").write_text(textwrap.dedent(source), encoding="utf-8")
    (root / "appwrite.json").write_text(json.dumps(appwrite_json(), indent=1), encoding="utf-8")
    return root


@contextlib.contextmanager
def sample_stack(tmp_path: Path, *, run_schedules: bool = False) -> Iterator[StackHandle]:
    root = write_root(tmp_path / "root")
    env = {"SAMPLE_SETTING": "from-env", "ECOTRACE_RUN_SCHEDULES": "1" if run_schedules else "0"}
    with run_stack(root, db_path=tmp_path / "local.sqlite3", env=env) as handle:
        yield handle


def wait_for(probe: Callable[[], T | None], *, timeout_s: float = 10.0, what: str = "condition") -> T:
    """Poll ``probe`` until it returns something truthy (asynchronous work is under way); fail after timeout_s."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
