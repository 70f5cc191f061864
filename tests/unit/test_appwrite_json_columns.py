"""Every column in appwrite.json carries the fields Appwrite's column model returns for its type, with the values
Appwrite returns, so that `appwrite push tables` of an unchanged appwrite.json plans no change.

Where the expectations come from (read, not guessed):
- Appwrite 1.9.6 (appwrite/appwrite): the response models src/Appwrite/Utopia/Response/Model/Column.php and
  Column{String,Enum,Email,URL,IP,Integer,Float,Boolean,Datetime}.php (src/Appwrite/Utopia/Response.php output()
  emits every rule of a model, null when unset). Unset bounds: Attributes/Integer/Create.php
  (`$min ??= PHP_INT_MIN; $max ??= PHP_INT_MAX`) and Attributes/Float/Create.php (`-PHP_FLOAT_MAX`/`PHP_FLOAT_MAX`),
  under src/Appwrite/Platform/Modules/Databases/Http/Databases/Collections/. `encrypt` comes from the column's
  filters (app/init/database/filters.php, subQueryAttributes). A datetime column is stored with `format` ''
  (Attributes/Action.php createAttribute) and returned as '', not as the model's default 'datetime'.
- appwrite-cli 12.0.1: lib/config.js KeysColumns (the fields `appwrite pull tables` writes) and KeysAttributes (the
  fields push compares); lib/commands/push.js checkAttributeChanges, compareAttribute, isEmpty, isEqual and
  changeableKeys (a difference in any other compared field deletes and recreates the column, losing its data).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPWRITE = json.loads((ROOT / "appwrite.json").read_text(encoding="utf-8"))
SCHEMA = json.loads((ROOT / "schema" / "tables.json").read_text(encoding="utf-8"))

COLUMN_RULES = ("key", "type", "status", "error", "required", "array", "$createdAt", "$updatedAt")
MODEL_RULES = {
    "string": (*COLUMN_RULES, "size", "default", "encrypt"),
    "enum": (*COLUMN_RULES, "elements", "format", "default"),
    "email": (*COLUMN_RULES, "format", "default"),
    "integer": (*COLUMN_RULES, "min", "max", "default"),
    "double": (*COLUMN_RULES, "min", "max", "default"),
    "boolean": (*COLUMN_RULES, "default"),
    "datetime": (*COLUMN_RULES, "format", "default"),
}
CLI_KEYS_COLUMNS = {"key", "type", "required", "array", "size", "default", "min", "max", "format", "elements",
                    "relatedTable", "relationType", "twoWay", "twoWayKey", "onDelete", "side", "columns", "orders",
                    "encrypt"}  # fmt: skip
CLI_KEYS_ATTRIBUTES = (CLI_KEYS_COLUMNS - {"relatedTable", "columns"}) | {"relatedCollection", "attributes"}
CLI_CHANGEABLE = {"status", "required", "xdefault", "elements", "min", "max", "default", "error"}
UNSET_BOUNDS = {"integer": (-(2**63), 2**63 - 1), "double": (-sys.float_info.max, sys.float_info.max)}


def _kind(column: dict[str, Any]) -> str:
    if column["type"] == "string" and column.get("format"):
        return "enum" if column["format"] == "enum" else "email"
    return str(column["type"])


def _server_view(declared: dict[str, Any]) -> dict[str, Any]:
    """What Appwrite returns for a column created from schema/tables.json (the CLI creates it from these values)."""
    kind = _kind(declared)
    values: dict[str, Any] = {
        **declared,
        "status": "available",
        "error": "",
        "required": declared.get("required", False),
        "array": declared.get("array", False),
        "$createdAt": "2026-01-01T00:00:00.000+00:00",
        "$updatedAt": "2026-01-01T00:00:00.000+00:00",
        "encrypt": declared.get("encrypt", False),
        "format": "" if kind == "datetime" else declared.get("format"),
    }
    if kind in UNSET_BOUNDS:
        values.setdefault("min", UNSET_BOUNDS[kind][0])
        values.setdefault("max", UNSET_BOUNDS[kind][1])
    return {rule: values.get(rule) for rule in MODEL_RULES[kind]}


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def _equal(remote: Any, local: Any) -> bool:
    if isinstance(remote, bool) or isinstance(local, bool):
        return remote is local
    if isinstance(remote, int | float) and isinstance(local, int | float):
        return remote == local or abs(remote - local) < sys.float_info.epsilon
    return bool(remote == local)


def _cli_changes(remote: dict[str, Any], local: dict[str, Any]) -> list[str]:
    """The fields `appwrite push tables` reports as changed (recreating or changing) for one column."""
    return [
        key
        for key, value in remote.items()
        if key in CLI_KEYS_ATTRIBUTES
        and not (_is_empty(value) and _is_empty(local.get(key)))
        and not _equal(value, local.get(key))
    ]


DECLARED = {(t["$id"], c["key"]): c for t in SCHEMA["tables"] for c in t["columns"]}
COLUMNS = [(t["$id"], c) for t in APPWRITE["tables"] for c in t["columns"]]
IDS = [f"{table}.{column['key']}" for table, column in COLUMNS]


def test_every_declared_column_is_in_appwrite_json() -> None:
    assert {(table, column["key"]) for table, column in COLUMNS} == set(DECLARED)


@pytest.mark.parametrize(("table", "column"), COLUMNS, ids=IDS)
def test_column_has_the_fields_appwrite_pull_writes_for_its_type(table: str, column: dict[str, Any]) -> None:
    expected = {rule for rule in MODEL_RULES[_kind(column)] if rule in CLI_KEYS_COLUMNS}
    assert set(column) == expected, f"{table}.{column['key']}: missing {expected - set(column)}"


@pytest.mark.parametrize(("table", "column"), COLUMNS, ids=IDS)
def test_push_of_the_unchanged_file_plans_no_change(table: str, column: dict[str, Any]) -> None:
    remote = _server_view(DECLARED[(table, column["key"])])
    assert _cli_changes(remote, column) == [], f"{table}.{column['key']} would be changed or recreated"


@pytest.mark.parametrize(
    ("kind", "dropped", "served", "field", "recreates"),
    [
        ("string", "encrypt", {}, "encrypt", True),
        ("integer", "max", {}, "max", False),
        ("double", "min", {}, "min", False),
        ("datetime", None, {"format": "datetime"}, "format", True),
    ],
)
def test_the_cli_comparison_sees_a_missing_or_different_field(
    kind: str, dropped: str | None, served: dict[str, Any], field: str, recreates: bool
) -> None:
    # GIVEN a column as appwrite.json carries it, with one field left out, or served differently by the server
    table, column = next((t, c) for t, c in COLUMNS if _kind(c) == kind)
    local = {key: value for key, value in column.items() if key != dropped}
    remote = {**_server_view(DECLARED[(table, column["key"])]), **served}
    # WHEN the CLI compares the two THEN it plans a change of that field, a recreation unless the field is changeable
    assert _cli_changes(remote, local) == [field]
    assert (field not in CLI_CHANGEABLE) is recreates
