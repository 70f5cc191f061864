"""appwrite.json grants each function only the scopes and execute roles that SECURITY.md's allow-list
documents for it: a widened permission fails here until the allow-list (a reviewed security decision) says so."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS: list[dict[str, Any]] = json.loads((ROOT / "appwrite.json").read_text(encoding="utf-8"))["functions"]


def allow_list(text: str) -> dict[str, tuple[set[str], set[str]]]:
    """{function id: (allowed scopes, allowed execute roles)} from the markdown table under the heading."""
    section = text.split("## Function permissions", 1)[1].split("\n## ", 1)[0]
    found: dict[str, tuple[set[str], set[str]]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or not cells[0].startswith("`"):
            continue
        found[cells[0].strip("`")] = (set(re.findall(r"`([^`]+)`", cells[1])), set(re.findall(r"`([^`]+)`", cells[2])))
    return found


ALLOWED = allow_list((ROOT / "SECURITY.md").read_text(encoding="utf-8"))


def test_the_allow_list_is_read_from_the_document() -> None:
    sample = "## Function permissions\n\n| function | s | e | why |\n|---|---|---|---|\n| `f` | `a.b` | (none) | x |\n"
    assert allow_list(sample) == {"f": ({"a.b"}, set())}


def test_every_deployed_function_has_an_allow_list_entry() -> None:
    assert {f["$id"] for f in FUNCTIONS} == set(ALLOWED)


@pytest.mark.parametrize("function", FUNCTIONS, ids=[f["$id"] for f in FUNCTIONS])
def test_scopes_stay_inside_the_allow_list(function: dict[str, Any]) -> None:
    scopes, _ = ALLOWED[function["$id"]]
    extra = set(function.get("scopes", [])) - scopes
    assert extra == set(), f"{function['$id']} is granted scopes outside SECURITY.md's allow-list: {sorted(extra)}"


@pytest.mark.parametrize("function", FUNCTIONS, ids=[f["$id"] for f in FUNCTIONS])
def test_execute_roles_stay_inside_the_allow_list(function: dict[str, Any]) -> None:
    _, roles = ALLOWED[function["$id"]]
    extra = set(function.get("execute", [])) - roles
    assert extra == set(), f"{function['$id']} is executable by roles outside the allow-list: {sorted(extra)}"
