"""Users, JWTs, health/version/ping, unknown routes, CORS (appwrite-rest.md §1, §6, §8)."""

from __future__ import annotations

import pytest
import requests
from appwrite.exception import AppwriteException
from appwrite.services.tables_db import TablesDB
from appwrite.services.users import Users

from ecotrace_local.testing import StackHandle
from tests.integration.localstack.ls_support import DB, note


def test_create_get_and_duplicate_user(stack: StackHandle) -> None:
    users = Users(stack.client())
    created = users.create("alice", email="alice@example.com", name="Alice")
    assert created.id == "alice"
    assert created.email == "alice@example.com"
    assert users.get("alice").name == "Alice"
    with pytest.raises(AppwriteException) as err:
        users.create("alice")
    assert (err.value.code, err.value.type) == (409, "user_already_exists")
    with pytest.raises(AppwriteException) as err:
        users.create("other", email="alice@example.com")
    assert err.value.type == "user_already_exists"
    with pytest.raises(AppwriteException) as err:
        users.get("nobody")
    assert (err.value.code, err.value.type) == (404, "user_not_found")


def test_users_api_needs_a_key(stack: StackHandle) -> None:
    with pytest.raises(AppwriteException) as err:
        Users(stack.guest_client()).create("mallory")
    assert (err.value.code, err.value.type) == (401, "general_unauthorized_scope")
    assert err.value.message == 'User (role: guests) missing scopes (["users.write"])'
    with pytest.raises(AppwriteException) as err:
        Users(stack.user_client("bob")).get("bob")
    assert err.value.message == 'User (role: users) missing scopes (["users.read"])'


def test_jwt_from_users_create_jwt_signs_the_user_in(stack: StackHandle) -> None:
    users = Users(stack.client())
    users.create("carol")
    token = users.create_jwt("carol").jwt
    assert token.count(".") == 2
    client = stack.guest_client().set_jwt(token)
    row = TablesDB(client).create_row(DB, "notes", "n1", note())
    assert row.permissions[0] == 'read("user:carol")'
    with pytest.raises(AppwriteException) as err:
        users.create_jwt("nobody")
    assert err.value.type == "user_not_found"
    with pytest.raises(AppwriteException) as err:
        users.create_jwt("carol", duration=3601)
    assert err.value.type == "general_argument_invalid"


def test_health_version_and_ping(stack: StackHandle) -> None:
    key = {"X-Appwrite-Project": stack.project_id, "X-Appwrite-Key": stack.api_key}
    health = requests.get(f"{stack.endpoint}/health", headers=key, timeout=5)
    assert health.json() == {"name": "http", "status": "pass", "ping": 0}
    guest = requests.get(f"{stack.endpoint}/health", headers={"X-Appwrite-Project": stack.project_id}, timeout=5)
    assert (guest.status_code, guest.json()["type"]) == (401, "general_unauthorized_scope")
    assert requests.get(f"{stack.endpoint}/health/version", timeout=5).json() == {"version": "1.9.6"}
    ping = requests.get(f"{stack.endpoint}/ping", headers={"X-Appwrite-Project": stack.project_id}, timeout=5)
    assert (ping.status_code, ping.text) == (200, "Pong!")
    no_project = requests.get(f"{stack.endpoint}/ping", timeout=5)
    assert (no_project.status_code, no_project.json()["type"]) == (404, "project_not_found")


@pytest.mark.parametrize(("method", "path"), [("GET", "/nope"), ("POST", "/health/version"), ("GET", "/v2/x")])
def test_unknown_route_is_appwrite_404(stack: StackHandle, method: str, path: str) -> None:
    response = requests.request(method, f"{stack.endpoint}{path}", timeout=5)
    body = response.json()
    assert response.status_code == 404
    assert body["type"] == "general_route_not_found"
    assert set(body) == {"message", "code", "type", "version"}


def test_cors_echoes_origin_with_credentials(stack: StackHandle) -> None:
    origin = "http://localhost:5173"
    preflight = requests.options(
        f"{stack.endpoint}/tablesdb/{DB}/tables/notes/rows",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
        timeout=5,
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == origin
    assert preflight.headers["access-control-allow-credentials"] == "true"
    assert "X-Appwrite-Project" in preflight.headers["access-control-allow-headers"]
    actual = requests.get(f"{stack.endpoint}/health/version", headers={"Origin": origin}, timeout=5)
    assert actual.headers["access-control-allow-origin"] == origin


def test_malformed_json_body_is_a_clear_400(stack: StackHandle) -> None:
    response = requests.post(
        f"{stack.endpoint}/tablesdb/{DB}/tables/notes/rows",
        data=b"{nope",
        headers={
            "X-Appwrite-Project": stack.project_id,
            "X-Appwrite-Key": stack.api_key,
            "Content-Type": "application/json",
        },
        timeout=5,
    )
    assert response.status_code == 400
    assert response.json()["type"] == "general_argument_invalid"


def test_account_is_the_jwt_user(stack: StackHandle) -> None:
    from appwrite.services.account import Account

    account = Account(stack.user_client("dora", email="dora@example.com"))
    me = account.get()
    assert me.id == "dora"
    assert me.email == "dora@example.com"
    with pytest.raises(AppwriteException) as err:
        Account(stack.guest_client()).get()
    assert (err.value.code, err.value.type) == (401, "general_unauthorized_scope")
    assert err.value.message == 'User (role: guests) missing scopes (["account"])'
