"""Who may do what: project key, execution keys with scopes, JWT users, guests (appwrite-rest.md §1, §3)."""

from __future__ import annotations

import time

import jwt
import pytest
import requests
from appwrite.client import Client
from appwrite.exception import AppwriteException
from appwrite.permission import Permission
from appwrite.query import Query
from appwrite.role import Role
from appwrite.services.tables_db import TablesDB

from ecotrace_local.testing import StackHandle
from tests.integration.localstack.ls_support import DB, count_rows, note


def as_user(stack: StackHandle, user_id: str) -> TablesDB:
    return TablesDB(stack.user_client(user_id))


def test_user_created_row_gets_owner_permissions(stack: StackHandle) -> None:
    row = as_user(stack, "alice").create_row(DB, "notes", "n1", note())
    assert row.permissions == ['read("user:alice")', 'update("user:alice")', 'delete("user:alice")']


def test_others_cannot_see_or_change_a_private_row(stack: StackHandle) -> None:
    alice, bob = as_user(stack, "alice"), as_user(stack, "bob")
    alice.create_row(DB, "notes", "n1", note("mine"))

    with pytest.raises(AppwriteException) as err:
        bob.get_row(DB, "notes", "n1")
    assert (err.value.code, err.value.type) == (404, "row_not_found")
    assert bob.list_rows(DB, "notes").total == 0
    assert alice.list_rows(DB, "notes").total == 1
    # Appwrite looks the row up without authorization, then refuses the write: 401, not 404
    with pytest.raises(AppwriteException) as err:
        bob.update_row(DB, "notes", "n1", {"title": "hacked"})
    assert (err.value.code, err.value.type) == (401, "user_unauthorized")
    with pytest.raises(AppwriteException) as err:
        bob.delete_row(DB, "notes", "n1")
    assert err.value.code == 401
    with pytest.raises(AppwriteException) as err:
        bob.update_row(DB, "notes", "missing", {"title": "x"})
    assert (err.value.code, err.value.type) == (404, "row_not_found")
    assert TablesDB(stack.client()).get_row(DB, "notes", "n1").data["title"] == "mine"


def test_readable_but_not_writable_row_gives_401_on_update(stack: StackHandle) -> None:
    TablesDB(stack.client()).create_row(DB, "notes", "n1", note(), permissions=[Permission.read(Role.users())])
    bob = as_user(stack, "bob")
    assert bob.get_row(DB, "notes", "n1").id == "n1"
    with pytest.raises(AppwriteException) as err:
        bob.update_row(DB, "notes", "n1", {"title": "x"})
    assert (err.value.code, err.value.type) == (401, "user_unauthorized")
    with pytest.raises(AppwriteException) as err:
        bob.increment_row_column(DB, "notes", "n1", "count")
    assert err.value.code == 401


def test_list_is_filtered_by_row_read_permission(stack: StackHandle) -> None:
    key = TablesDB(stack.client())
    key.create_row(DB, "notes", "public", note(), permissions=[Permission.read(Role.any())])
    key.create_row(DB, "notes", "users", note(), permissions=[Permission.read(Role.users())])
    key.create_row(DB, "notes", "bob", note(), permissions=[Permission.read(Role.user("bob"))])
    key.create_row(DB, "notes", "nobody", note())

    seen = {r.id for r in as_user(stack, "bob").list_rows(DB, "notes").rows}
    assert seen == {"public", "users", "bob"}
    assert as_user(stack, "bob").list_rows(DB, "notes").total == 3
    assert {r.id for r in TablesDB(stack.guest_client()).list_rows(DB, "notes").rows} == {"public"}


def test_list_without_table_read_and_row_security_off_is_401(stack: StackHandle) -> None:
    with pytest.raises(AppwriteException) as err:
        TablesDB(stack.guest_client()).list_rows(DB, "board")
    assert (err.value.code, err.value.type) == (401, "user_unauthorized")
    assert as_user(stack, "bob").list_rows(DB, "board").total == 0  # read("users") on the table


def test_create_needs_table_create_permission(stack: StackHandle) -> None:
    with pytest.raises(AppwriteException) as err:
        as_user(stack, "bob").create_row(DB, "board", "b1", {"name": "x"})
    assert (err.value.code, err.value.type) == (401, "user_unauthorized")
    with pytest.raises(AppwriteException) as err:
        TablesDB(stack.guest_client()).create_row(DB, "notes", "n1", note())
    assert err.value.code == 401
    assert count_rows(stack, "board") == 0
    assert count_rows(stack, "notes") == 0


def test_users_may_only_grant_roles_they_hold(stack: StackHandle) -> None:
    bob = as_user(stack, "bob")
    with pytest.raises(AppwriteException) as err:
        bob.create_row(DB, "notes", "n1", note(), permissions=[Permission.read(Role.user("alice"))])
    assert (err.value.code, err.value.type) == (401, "user_unauthorized")
    assert err.value.message == (
        "Permissions must be one of: (any, users, user:bob, user:bob/unverified, users/unverified)"
    )
    row = bob.create_row(DB, "notes", "n2", note(), permissions=[Permission.read(Role.any())])
    assert row.permissions == ['read("any")']


def test_bulk_operations_need_an_api_key(stack: StackHandle) -> None:
    with pytest.raises(AppwriteException) as err:
        as_user(stack, "bob").create_rows(DB, "notes", [note()])
    assert (err.value.code, err.value.type) == (401, "general_unauthorized_scope")
    assert count_rows(stack, "notes") == 0


def test_execution_key_carries_only_its_scopes(stack: StackHandle) -> None:
    read_only = TablesDB(stack.client(stack.stack.credentials.mint_function_key(["rows.read"], 60)))
    assert read_only.list_rows(DB, "private").total == 0  # keys bypass permissions
    with pytest.raises(AppwriteException) as err:
        read_only.create_row(DB, "private", "p1", {"name": "x"})
    assert (err.value.code, err.value.type) == (401, "general_unauthorized_scope")
    assert err.value.message == 'User (role: applications) missing scopes (["rows.write","documents.write"])'

    writer = TablesDB(stack.client(stack.stack.credentials.mint_function_key(["rows.read", "rows.write"], 60)))
    assert writer.create_row(DB, "private", "p1", {"name": "x"}).id == "p1"


def test_expired_or_foreign_execution_keys_are_refused(stack: StackHandle) -> None:
    expired = "ephemeral_" + jwt.encode(
        {"projectId": stack.project_id, "scopes": ["rows.read"], "exp": int(time.time()) - 5},
        stack.stack.config.jwt_secret,
        algorithm="HS256",
    )
    with pytest.raises(AppwriteException) as err:
        TablesDB(stack.client(expired)).list_rows(DB, "private")
    assert (err.value.code, err.value.type) == (401, "project_key_expired")
    forged = "ephemeral_" + jwt.encode(
        {"projectId": stack.project_id, "scopes": ["rows.read"], "exp": int(time.time()) + 60},
        "another-secret-of-at-least-32-bytes!!",
        algorithm="HS256",
    )
    for key in (forged, "not-the-key"):
        with pytest.raises(AppwriteException) as err:
            TablesDB(stack.client(key)).list_rows(DB, "private")
        assert (err.value.code, err.value.type) == (401, "user_unauthorized")


def test_bad_jwt_is_401_user_jwt_invalid(stack: StackHandle) -> None:
    client = Client().set_endpoint(stack.endpoint).set_project(stack.project_id).set_jwt("abc")
    with pytest.raises(AppwriteException) as err:
        TablesDB(client).list_rows(DB, "notes")
    assert (err.value.code, err.value.type) == (401, "user_jwt_invalid")
    assert err.value.message.startswith("Failed to verify JWT. Invalid token: ")

    expired = jwt.encode(
        {"userId": "bob", "sessionId": "", "exp": int(time.time()) - 1},
        stack.stack.config.jwt_secret,
        algorithm="HS256",
    )
    client.set_jwt(expired)
    with pytest.raises(AppwriteException) as err:
        TablesDB(client).list_rows(DB, "notes")
    assert err.value.message == "Failed to verify JWT. Invalid token: Expired"


def test_jwt_of_unknown_user_is_a_guest(stack: StackHandle) -> None:
    token = jwt.encode(
        {"userId": "ghost", "sessionId": "", "exp": int(time.time()) + 60},
        stack.stack.config.jwt_secret,
        algorithm="HS256",
    )
    client = Client().set_endpoint(stack.endpoint).set_project(stack.project_id).set_jwt(token)
    with pytest.raises(AppwriteException) as err:
        TablesDB(client).list_rows(DB, "board")  # users may read board; guests may not
    assert err.value.code == 401


def test_project_is_required_and_must_exist(stack: StackHandle) -> None:
    url = f"{stack.endpoint}/tablesdb/{DB}/tables/notes/rows"
    missing = requests.get(url, timeout=5)
    assert (missing.status_code, missing.json()["type"]) == (401, "general_access_forbidden")
    assert missing.json()["message"] == (
        "No Appwrite project was specified. Please specify your project ID when initializing your Appwrite SDK."
    )
    unknown = requests.get(url, headers={"X-Appwrite-Project": "other"}, timeout=5)
    assert (unknown.status_code, unknown.json()["type"]) == (404, "project_not_found")
    by_query = requests.get(url, params={"project": stack.project_id}, timeout=5)
    assert by_query.status_code == 200


def test_guest_filters_are_applied_to_queries_too(stack: StackHandle) -> None:
    key = TablesDB(stack.client())
    key.create_row(DB, "notes", "a", note(count=1), permissions=[Permission.read(Role.any())])
    key.create_row(DB, "notes", "b", note(count=2))
    guest = TablesDB(stack.guest_client())
    assert [r.id for r in guest.list_rows(DB, "notes", [Query.greater_than("count", 0)]).rows] == ["a"]
