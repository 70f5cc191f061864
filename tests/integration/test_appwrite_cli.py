"""The real appwrite-cli 12 (npm, ``make node``) against the local stack, switched there by
``scripts/appwrite_local.py`` as a developer would (``make appwrite ARGS=...``): push tables twice, each a no-op that
writes nothing; pull gives back appwrite.json's tables; functions and users list; a changed column is planned
by the CLI and refused by the read-only local schema, with the reason."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ecotrace_local.testing import StackHandle, run_stack
from tests.integration.project_stack import ROOT

CLI = ROOT / "node_modules" / ".bin" / "appwrite"
SCRIPT = ROOT / "scripts" / "appwrite_local.py"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
WRITES = ("POST", "PUT", "PATCH", "DELETE")

pytestmark = pytest.mark.skipif(
    not CLI.exists() or shutil.which("node") is None,
    reason="SKIPPED LOUDLY: appwrite-cli is not installed: run `make node` (make test does it)",
)


@pytest.fixture(scope="module")
def module_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackHandle]:
    db = tmp_path_factory.mktemp("cli") / "db.sqlite3"
    with run_stack(ROOT, db_path=db, env={"ECOTRACE_RUN_SCHEDULES": "0"}) as handle:
        yield handle


@pytest.fixture
def project(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the checkout's project file, where the CLI may write its appwrite.config.json."""
    shutil.copy(ROOT / "appwrite.json", tmp_path / "appwrite.json")
    (tmp_path / "node_modules").symlink_to(ROOT / "node_modules")
    return tmp_path


def appwrite(stack: StackHandle, project: Path, *args: str) -> tuple[int, str]:
    command = [sys.executable, str(SCRIPT), "--root", str(project), "--endpoint", stack.endpoint,
               "--key", stack.api_key, "cli", *args]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    return done.returncode, ANSI.sub("", done.stdout + done.stderr)


def writes(stack: StackHandle) -> list[tuple[str, str, int]]:
    return [entry for entry in stack.stack.request_log.entries() if entry[0] in WRITES]


def test_push_tables_twice_changes_nothing_and_pull_gives_the_same_tables(stack: StackHandle, project: Path) -> None:
    for _ in range(2):
        code, out = appwrite(stack, project, "push", "tables", "--all")
        assert code == 0, out
        assert "Successfully pushed 0 tables" in out
    assert writes(stack) == []
    config = project / "appwrite.config.json"
    assert json.loads(config.read_text())["endpoint"] == stack.endpoint
    code, out = appwrite(stack, project, "pull", "tables", "--all")
    assert code == 0, out
    expected = json.loads((ROOT / "appwrite.json").read_text())
    assert f"Successfully pulled {len(expected['tables'])} tables" in out
    pulled = json.loads(config.read_text())
    assert pulled["tables"] == expected["tables"]  # parsed JSON: the CLI writes 4-space JSON in its own key order
    assert pulled["tablesDB"] == expected["tablesDB"]
    assert json.loads((project / "appwrite.json").read_text()) == expected  # appwrite.json itself untouched


def test_functions_and_users_are_listed(stack: StackHandle, project: Path) -> None:
    from appwrite.services.users import Users

    Users(stack.client()).create("cli-user", email="cli@example.com")
    code, out = appwrite(stack, project, "functions", "list", "--json")
    assert code == 0, out
    listed = json.loads(out[out.index("{") :])
    assert [f["$id"] for f in listed["functions"]] == [
        "github-webhook", "carbon-calculator", "leaderboard-updater", "api-integrations",
    ]  # fmt: skip
    code, out = appwrite(stack, project, "users", "list", "--json")
    assert code == 0, out
    assert [u["$id"] for u in json.loads(out[out.index("{") :])["users"]] == ["cli-user"]


def test_a_changed_column_is_planned_and_refused_by_the_read_only_schema(stack: StackHandle, project: Path) -> None:
    """A size change is one the CLI makes by deleting and recreating the column (its data gone): the local stack
    refuses the delete and says why, and nothing is lost."""
    data = json.loads((project / "appwrite.json").read_text())
    users_table = next(t for t in data["tables"] if t["$id"] == "users")
    column = next(c for c in users_table["columns"] if c["key"] == "display_name")
    column["size"] = column["size"] + 1
    (project / "appwrite.json").write_text(json.dumps(data))
    code, out = appwrite(stack, project, "push", "tables", "--all", "--force")
    assert code != 0
    assert re.search(r"display_name.*recreating", out), out
    assert "schema is read-only" in out
    assert [(m, p, s) for m, p, s in writes(stack)] == [
        ("DELETE", "/v1/databases/ecotrace-main/collections/users/attributes/display_name", 405)
    ]
