"""Each function's README states the configuration appwrite.json deploys (runtime, entrypoint, build command,
execute, scopes, timeout, events, schedule), so the docs cannot drift from what runs."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS: list[dict[str, Any]] = json.loads((ROOT / "appwrite.json").read_text(encoding="utf-8"))["functions"]


def config_table(function_id: str) -> dict[str, str]:
    text = (ROOT / "functions" / function_id / "README.md").read_text(encoding="utf-8")
    section = text.split("Configuration", 1)[1]
    rows = {}
    for line in section.splitlines()[1:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 2 and not set(cells[0]) <= {"-", " "}:
            rows[cells[0]] = cells[1]
        elif rows and not line.startswith("|"):
            break
    return rows


@pytest.mark.parametrize("function", FUNCTIONS, ids=[f["$id"] for f in FUNCTIONS])
def test_readme_configuration_matches_appwrite_json(function: dict[str, Any]) -> None:
    table = config_table(function["$id"])
    assert function["runtime"] == "python-3.12"
    assert "3.12" in table["Runtime"]
    assert f"`{function['entrypoint']}`" in table["Entrypoint"]
    assert f"`{function['commands']}`" in table["Build Commands"]
    assert re.match(rf"{function['timeout']}\b", table["Timeout (Seconds)"])
    for scope in function["scopes"]:
        assert f"`{scope}`" in table["Scopes"]
    assert len(re.findall(r"`[a-z]+\.[a-z]+`", table["Scopes"])) == len(function["scopes"])
    for role in function["execute"]:
        assert role in table["Permissions"]
    if not function["execute"]:
        assert "[]" in table["Permissions"]
    schedule = table.get("Schedule") or table.get("Events / Schedule", "")
    if function["schedule"]:
        assert f"`{function['schedule']}`" in schedule
    else:
        assert "none" in schedule
    for event in function["events"]:
        assert f"`{event}`" in table.get("Events", "")


def test_timeouts_are_the_ones_the_design_sets() -> None:
    timeouts = {f["$id"]: f["timeout"] for f in FUNCTIONS}
    assert timeouts == {
        "github-webhook": 15,
        "carbon-calculator": 30,
        "leaderboard-updater": 60,
        "api-integrations": 30,
    }
