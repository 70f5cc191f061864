"""Appwrite's validation errors, word for word, and nothing written after a rejected request."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from appwrite.exception import AppwriteException
from appwrite.services.tables_db import TablesDB

from ecotrace_local.testing import StackHandle
from tests.integration.localstack.ls_support import DB, count_rows, note

STRUCTURE = "Invalid document structure: "


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"title": "x", "nope": 1}, 'Unknown attribute: "nope"'),
        ({"title": "x", "nope": None}, 'Unknown attribute: "nope"'),
        ({"body": "no title"}, 'Missing required attribute "title"'),
        ({"title": None}, 'Missing required attribute "title"'),
        (
            {"title": "eleven chars"},
            'Attribute "title" has invalid type. Value must be a valid string and no longer than 10 chars',
        ),
        ({"title": 5}, 'Attribute "title" has invalid type. Value must be a valid string and no longer than 10 chars'),
        ({"title": "x", "count": "3"}, 'Attribute "count" has invalid type. Value must be a valid integer'),
        ({"title": "x", "count": 2.5}, 'Attribute "count" has invalid type. Value must be a valid integer'),
        ({"title": "x", "count": True}, 'Attribute "count" has invalid type. Value must be a valid integer'),
        (
            {"title": "x", "count": 101},
            'Attribute "count" has invalid format. Value must be a valid range between 0 and 100',
        ),
        (
            {"title": "x", "count": -1},
            'Attribute "count" has invalid format. Value must be a valid range between 0 and 100',
        ),
        ({"title": "x", "done": "yes"}, 'Attribute "done" has invalid type. Value must be a valid boolean'),
        ({"title": "x", "kind": "c"}, 'Attribute "kind" has invalid format. Value must be one of (a, b)'),
        ({"title": "x", "score": "1.0"}, 'Attribute "score" has invalid type. Value must be a valid float'),
        ({"title": "x", "tags": "solo"}, 'Attribute "tags" must be an array'),
        (
            {"title": "x", "tags": ["ok", "x" * 21]},
            "Attribute \"tags['1']\" has invalid type. Value must be a valid string and no longer than 20 chars",
        ),
        (
            {"title": "x", "due": "yesterday"},
            'Attribute "due" has invalid type. Value must be valid date between 0000-01-01 and 9999-12-31.',
        ),
    ],
)
def test_structure_errors(stack: StackHandle, tables: TablesDB, data: dict[str, Any], message: str) -> None:
    with pytest.raises(AppwriteException) as err:
        tables.create_row(DB, "notes", "n1", data)
    assert (err.value.code, err.value.type) == (400, "row_invalid_structure")
    assert err.value.message == STRUCTURE + message
    assert count_rows(stack, "notes") == 0


def test_update_is_validated_against_the_merged_row(tables: TablesDB) -> None:
    tables.create_row(DB, "notes", "n1", note("ok", count=5))
    with pytest.raises(AppwriteException) as err:
        tables.update_row(DB, "notes", "n1", {"count": 1000})
    assert err.value.type == "row_invalid_structure"
    with pytest.raises(AppwriteException) as err:
        tables.update_row(DB, "notes", "n1", {"title": None})
    assert err.value.message == STRUCTURE + 'Missing required attribute "title"'
    assert tables.get_row(DB, "notes", "n1").data["count"] == 5


@pytest.mark.parametrize("row_id", ["_leading", "-dash", ".dot", "x" * 37, "spa ce", "sla/sh", "$id"])
def test_invalid_row_ids_are_rejected(stack: StackHandle, row_id: str) -> None:
    response = requests.post(
        f"{stack.endpoint}/tablesdb/{DB}/tables/notes/rows",
        json={"rowId": row_id, "data": note()},
        headers={"X-Appwrite-Project": stack.project_id, "X-Appwrite-Key": stack.api_key},
        timeout=5,
    )
    body = response.json()
    assert (response.status_code, body["type"]) == (400, "general_argument_invalid")
    assert body["message"] == (
        "Invalid `rowId` param: Parameter must contain at most 36 chars. Valid chars are a-z, A-Z, 0-9, period, "
        "hyphen, and underscore. Can't start with a special char"
    )
    assert body["version"] == "1.9.6"
    assert body["code"] == 400
    assert count_rows(stack, "notes") == 0


@pytest.mark.parametrize("row_id", ["a", "A.b-c_d", "x" * 36, "0abc"])
def test_valid_row_ids_are_accepted(tables: TablesDB, row_id: str) -> None:
    assert tables.create_row(DB, "notes", row_id, note()).id == row_id


def test_duplicate_id_is_409_row_already_exists(stack: StackHandle, tables: TablesDB) -> None:
    tables.create_row(DB, "notes", "n1", note("first"))
    with pytest.raises(AppwriteException) as err:
        tables.create_row(DB, "notes", "n1", note("second"))
    assert (err.value.code, err.value.type) == (409, "row_already_exists")
    assert err.value.message.startswith("Row with the requested ID 'n1' already exists.")
    assert tables.get_row(DB, "notes", "n1").data["title"] == "first"


def test_unique_index_is_enforced_on_create_and_update(stack: StackHandle, tables: TablesDB) -> None:
    tables.create_row(DB, "notes", "n1", note(slug="same"))
    tables.create_row(DB, "notes", "n2", note(slug="other"))
    with pytest.raises(AppwriteException) as err:
        tables.create_row(DB, "notes", "n3", note(slug="same"))
    assert (err.value.code, err.value.type) == (409, "row_unique_constraint_violation")
    with pytest.raises(AppwriteException) as err:
        tables.update_row(DB, "notes", "n2", {"slug": "same"})
    assert err.value.type == "row_unique_constraint_violation"
    assert count_rows(stack, "notes") == 2
    assert tables.get_row(DB, "notes", "n2").data["slug"] == "other"


def test_unknown_table_and_database(tables: TablesDB) -> None:
    with pytest.raises(AppwriteException) as err:
        tables.list_rows(DB, "nope")
    assert (err.value.code, err.value.type) == (404, "table_not_found")
    assert err.value.message == "Table with the requested ID 'nope' could not be found."
    with pytest.raises(AppwriteException) as err:
        tables.get_row("nodb", "notes", "x")
    assert (err.value.code, err.value.type) == (404, "database_not_found")


def test_data_must_be_an_object(stack: StackHandle) -> None:
    response = requests.post(
        f"{stack.endpoint}/tablesdb/{DB}/tables/notes/rows",
        json={"rowId": "n1", "data": ["not", "an", "object"]},
        headers={"X-Appwrite-Project": stack.project_id, "X-Appwrite-Key": stack.api_key},
        timeout=5,
    )
    assert response.status_code == 400
    assert response.json()["message"] == "Invalid `data` param: Value must be a valid JSON object"


@pytest.mark.parametrize(
    ("permission", "fragment"),
    [
        ('create("any")', 'Permission "create("any")" is not allowed. Must be one of: read, update, delete, write.'),
        ('read("*")', "Wildcard"),
        ('read("role:all")', "role:"),
        ("read(any)", "is not allowed"),
    ],
)
def test_bad_permission_strings(tables: TablesDB, stack: StackHandle, permission: str, fragment: str) -> None:
    with pytest.raises(AppwriteException) as err:
        tables.create_row(DB, "notes", "n1", note(), permissions=[permission])
    assert (err.value.code, err.value.type) == (400, "general_argument_invalid")
    assert err.value.message.startswith("Invalid `permissions` param: ")
    assert fragment in err.value.message
    assert count_rows(stack, "notes") == 0


def test_write_permission_expands_to_update_and_delete(tables: TablesDB) -> None:
    row = tables.create_row(DB, "notes", "n1", note(), permissions=['read("any")', 'write("user:u1")'])
    assert row.permissions == ['read("any")', 'update("user:u1")', 'delete("user:u1")']


@pytest.mark.parametrize("path", ["/tablesdb/_bad/tables/notes/rows", f"/tablesdb/{DB}/tables/notes/rows/_x"])
def test_path_ids_are_checked_as_uids(stack: StackHandle, path: str) -> None:
    response = requests.get(
        stack.endpoint + path,
        headers={"X-Appwrite-Project": stack.project_id, "X-Appwrite-Key": stack.api_key},
        timeout=5,
    )
    body = response.json()
    assert (response.status_code, body["type"]) == (400, "general_argument_invalid")
    assert body["message"].endswith(
        "param: UID must contain at most 36 chars. Valid chars are a-z, A-Z, 0-9, and underscore. "
        "Can't start with a leading underscore"
    )


def test_a_disabled_table_is_key_only(stack: StackHandle, tables: TablesDB) -> None:
    tables.create_row(DB, "archive", "a1", {"name": "x"})
    guest = TablesDB(stack.guest_client())
    with pytest.raises(AppwriteException) as err:
        guest.list_rows(DB, "archive")
    assert (err.value.code, err.value.type) == (404, "table_not_found")
    assert tables.list_rows(DB, "archive").total == 1
