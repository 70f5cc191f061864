"""schema/tables.json is the one source of truth: appwrite.json, SCHEMA.md and the running local stack
must all say the same thing about every table, column and index."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from appwrite.services.tables_db import TablesDB

from ecotrace_local.testing import StackHandle, run_stack
from scripts import sync_schema

ROOT = Path(__file__).resolve().parents[2]


SCHEMA = sync_schema.load_schema()
APPWRITE = json.loads((ROOT / "appwrite.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackHandle]:
    with run_stack(ROOT, db_path=tmp_path_factory.mktemp("schema") / "db.sqlite3") as handle:
        yield handle


def _as_dict(model: Any) -> dict[str, Any]:
    return model if isinstance(model, dict) else model.model_dump(by_alias=True)


def test_appwrite_json_tables_are_generated_from_the_schema() -> None:
    databases, tables = sync_schema.appwrite_tables(SCHEMA)
    assert APPWRITE["tablesDB"] == databases
    assert APPWRITE["tables"] == tables, "appwrite.json is stale: run `make schema`"


def test_schema_doc_is_generated_from_the_schema() -> None:
    assert (ROOT / "schema" / "SCHEMA.md").read_text(encoding="utf-8") == sync_schema.render_markdown(SCHEMA)


def test_every_table_declares_its_database_and_only_known_column_types() -> None:
    for table in APPWRITE["tables"]:
        assert table["databaseId"] == SCHEMA["database"]["$id"]
        for column in table["columns"]:
            assert column["type"] in {"string", "integer", "double", "boolean", "datetime"}
            if column["type"] == "string" and column.get("format") != "enum":
                assert column["size"] > 0
        for index in table["indexes"]:
            keys = {c["key"] for c in table["columns"]}
            assert set(index["columns"]) <= keys, f"{table['$id']}.{index['key']} names an unknown column"


@pytest.mark.parametrize("table", SCHEMA["tables"], ids=lambda t: t["$id"])
def test_the_local_stack_serves_each_table_as_declared(stack: StackHandle, table: dict[str, Any]) -> None:
    served = _as_dict(TablesDB(stack.client()).get_table(SCHEMA["database"]["$id"], table["$id"]))
    declared = next(t for t in APPWRITE["tables"] if t["$id"] == table["$id"])
    assert served["rowSecurity"] == declared["rowSecurity"]
    assert sorted(served["$permissions"]) == sorted(declared["$permissions"])
    served_columns = {c["key"]: c for c in served["columns"]}
    assert list(served_columns) == [c["key"] for c in declared["columns"]]
    for column in declared["columns"]:
        got = served_columns[column["key"]]
        # min/max: the SDK model holds them as floats, so they are compared exactly on the JSON below
        for attr in ("type", "required", "array", "size", "elements", "default"):
            if attr in column:
                assert got.get(attr) == column[attr], f"{table['$id']}.{column['key']}.{attr}"
    served_indexes = {i["key"]: i for i in served["indexes"]}
    assert set(served_indexes) == {i["key"] for i in declared["indexes"]}
    for index in declared["indexes"]:
        assert served_indexes[index["key"]]["type"] == index["type"]
        assert served_indexes[index["key"]]["columns"] == index["columns"]


@pytest.mark.parametrize("table", APPWRITE["tables"], ids=lambda t: t["$id"])
def test_the_local_stack_serves_every_column_field_appwrite_json_declares(
    stack: StackHandle, table: dict[str, Any]
) -> None:
    # The JSON as the Appwrite CLI reads it: the Python SDK's column models turn int64 bounds into floats.
    response = httpx.get(
        f"{stack.endpoint}/tablesdb/{table['databaseId']}/tables/{table['$id']}",
        headers={"X-Appwrite-Project": stack.project_id, "X-Appwrite-Key": stack.api_key},
        timeout=10,
    )
    assert response.status_code == 200
    served = {c["key"]: c for c in response.json()["columns"]}
    for column in table["columns"]:
        for field, value in column.items():
            assert served[column["key"]].get(field, "<absent>") == value, f"{table['$id']}.{column['key']}.{field}"


def test_the_local_stack_has_exactly_the_declared_tables(stack: StackHandle) -> None:
    listed = _as_dict(TablesDB(stack.client()).list_tables(SCHEMA["database"]["$id"]))
    assert sorted(t["$id"] for t in listed["tables"]) == sorted(t["$id"] for t in SCHEMA["tables"])
