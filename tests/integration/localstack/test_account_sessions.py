"""Account sign-up and sessions over raw HTTP: the cookies, headers and codes the web SDK relies on (Appwrite
1.9.6 ``account.php``, ``request.php``). The web SDK's own view is tests/web/account.test.mjs."""

from __future__ import annotations

import base64
import json
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from appwrite.client import Client
from appwrite.services.tables_db import TablesDB
from appwrite.services.users import Users

from ecotrace_local.testing import StackHandle, run_stack
from tests.integration.localstack.ls_support import DB, write_root

PASSWORD = "correct horse battery"
FALLBACK = "x-fallback-cookies"


def api(stack: StackHandle) -> httpx.Client:
    return httpx.Client(base_url=stack.endpoint, headers={"x-appwrite-project": stack.project_id}, timeout=10)


def sign_up(client: httpx.Client, email: str = "ada@example.com") -> str:
    response = client.post("/account", json={"userId": "unique()", "email": email, "password": PASSWORD})
    assert response.status_code == 201, response.text
    return str(response.json()["$id"])


def sign_in(client: httpx.Client, email: str = "ada@example.com") -> httpx.Response:
    response = client.post("/account/sessions/email", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.text
    return response


def credential_of(response: httpx.Response) -> str:
    return str(json.loads(response.headers[FALLBACK])["a_session_ecotrace"])


def test_sign_up_stores_a_hash_creates_no_session_and_lower_cases_the_email(stack: StackHandle) -> None:
    with api(stack) as client:
        response = client.post(
            "/account", json={"userId": "ada", "email": "Ada@Example.com", "password": PASSWORD, "name": "Ada"}
        )
        assert response.status_code == 201
        account = response.json()
        assert (account["$id"], account["email"], account["name"], account["prefs"]) == (
            "ada", "ada@example.com", "Ada", {},
        )  # fmt: skip
        assert "password" not in account
        assert "hash" not in account
        assert FALLBACK not in response.headers
        assert "set-cookie" not in response.headers
        assert client.get("/account").status_code == 401  # no session was created
    stored = sqlite3.connect(stack.stack.config.db_path).execute("SELECT password_hash FROM _users").fetchone()[0]
    assert stored.startswith("scrypt$")
    assert PASSWORD not in stored


@pytest.mark.parametrize(
    ("body", "status", "kind"),
    [
        ({"userId": "unique()", "email": "bob@example.com", "password": "short"}, 400, "general_argument_invalid"),
        ({"userId": "unique()", "email": "not-an-email", "password": PASSWORD}, 400, "general_argument_invalid"),
        ({"userId": "unique()", "email": "bob@example.com"}, 400, "general_argument_invalid"),
        ({"userId": "unique()", "email": "ADA@example.com", "password": PASSWORD}, 409, "user_already_exists"),
    ],
)
def test_sign_up_errors(stack: StackHandle, body: dict[str, str], status: int, kind: str) -> None:
    with api(stack) as client:
        sign_up(client)
        response = client.post("/account", json=body)
    assert (response.status_code, response.json()["type"]) == (status, kind)
    if "password" in body and body["password"] == "short":
        assert response.json()["message"] == (
            "Invalid `password` param: Password must be between 8 and 256 characters long."
        )


def test_a_session_comes_as_two_cookies_and_the_fallback_header(stack: StackHandle) -> None:
    with api(stack) as client:
        user_id = sign_up(client)
        response = sign_in(client)
    session = response.json()
    assert (session["userId"], session["provider"], session["providerUid"], session["factors"]) == (
        user_id, "email", "ada@example.com", ["password"],
    )  # fmt: skip
    assert session["current"] is True
    assert session["secret"] == ""
    cookies = response.headers.get_list("set-cookie")
    assert [c.split("=", 1)[0] for c in cookies] == ["a_session_ecotrace_legacy", "a_session_ecotrace"]
    assert "samesite" not in cookies[0].lower()
    assert cookies[1].endswith("samesite=None")
    assert all("httponly" in c and "path=/" in c and "domain" not in c for c in cookies)
    credential = credential_of(response)
    assert json.loads(base64.b64decode(credential))["id"] == user_id


@pytest.mark.parametrize("carrier", ["cookie", "legacy cookie", "x-appwrite-session", "x-fallback-cookies"])
def test_every_way_the_web_sdk_sends_a_session_signs_the_user_in(stack: StackHandle, carrier: str) -> None:
    with api(stack) as client:
        user_id = sign_up(client)
        credential = credential_of(sign_in(client))
    sent = {
        "cookie": {"cookie": f"a_session_ecotrace={quote(credential, safe='')}"},
        "legacy cookie": {"cookie": f"a_session_ecotrace_legacy={quote(credential, safe='')}"},
        "x-appwrite-session": {"x-appwrite-session": credential},
        "x-fallback-cookies": {FALLBACK: json.dumps({"a_session_ecotrace": credential})},
    }[carrier]
    with api(stack) as fresh:
        response = fresh.get("/account", headers=sent)
    assert response.status_code == 200, response.text
    assert response.json()["$id"] == user_id


def test_sign_in_errors_and_a_second_session_while_signed_in(stack: StackHandle) -> None:
    with api(stack) as client:
        sign_up(client)
        wrong = client.post("/account/sessions/email", json={"email": "ada@example.com", "password": "wrong horse"})
        unknown = client.post("/account/sessions/email", json={"email": "eve@example.com", "password": PASSWORD})
        for response in (wrong, unknown):
            assert (response.status_code, response.json()["type"]) == (401, "user_invalid_credentials")
        sign_in(client)
        again = client.post("/account/sessions/email", json={"email": "ada@example.com", "password": PASSWORD})
        assert (again.status_code, again.json()["type"]) == (401, "user_session_already_exists")
        anonymous = client.post("/account/sessions/anonymous", json={})
        assert anonymous.json()["type"] == "user_session_already_exists"


def test_an_anonymous_user_has_no_password_to_sign_in_with(stack: StackHandle) -> None:
    with api(stack) as client:
        response = client.post("/account/sessions/anonymous", json={})
        assert response.status_code == 201
        assert (response.json()["provider"], response.json()["factors"]) == ("anonymous", ["anonymous"])
        me = client.get("/account").json()
        assert (me["email"], me["passwordUpdate"]) == ("", "")


def test_jwt_from_a_session_dies_with_the_session_and_may_not_be_sent_with_it(stack: StackHandle) -> None:
    with api(stack) as client:
        user_id = sign_up(client)
        sign_in(client)
        token = client.post("/account/jwts", json={"duration": 60}).json()["jwt"]
        both = client.get("/account", headers={"x-appwrite-jwt": token})
        assert (both.status_code, both.json()["type"]) == (403, "user_jwt_and_cookie_set")
        with api(stack) as bearer:
            bearer.headers["x-appwrite-jwt"] = token
            assert bearer.get("/account").json()["$id"] == user_id
            denied = bearer.post("/account/jwts", json={})
            assert (denied.status_code, denied.json()["type"]) == (403, "user_jwt_creation_denied")
            out = client.delete("/account/sessions/current")
            assert (out.status_code, out.headers["content-type"], out.headers[FALLBACK]) == (
                204, "text/html; charset=UTF-8", "[]",
            )  # fmt: skip
            assert all("expires=" in c for c in out.headers.get_list("set-cookie"))
            assert bearer.get("/account").json()["type"] == "general_unauthorized_scope"  # a guest now
        assert client.get("/account").status_code == 401


def test_a_key_has_no_session_to_mint_a_jwt_from(stack: StackHandle) -> None:
    response = httpx.post(
        f"{stack.endpoint}/account/jwts",
        headers={"x-appwrite-project": stack.project_id, "x-appwrite-key": stack.api_key},
        json={},
    )
    assert (response.status_code, response.json()["type"]) == (401, "general_unauthorized_scope")


def test_prefs_are_replaced_whole_and_sessions_listed(stack: StackHandle) -> None:
    with api(stack) as client:
        sign_up(client)
        sign_in(client)
        assert client.get("/account/prefs").json() == {}
        updated = client.patch("/account/prefs", json={"prefs": {"theme": "dark", "units": "g"}})
        assert updated.status_code == 200
        assert updated.json()["prefs"] == {"theme": "dark", "units": "g"}
        client.patch("/account/prefs", json={"prefs": {"theme": "light"}})
        assert client.get("/account/prefs").json() == {"theme": "light"}
        bad = client.patch("/account/prefs", json={"prefs": ["x"]})
        assert (bad.status_code, bad.json()["type"]) == (400, "general_argument_invalid")
        listed = client.get("/account/sessions").json()
        assert listed["total"] == 1
        assert listed["sessions"][0]["current"] is True
        assert client.delete("/account/sessions").status_code == 204
        assert client.get("/account/prefs").status_code == 401


def test_a_password_set_through_the_users_api_signs_in(stack: StackHandle) -> None:
    Users(stack.client()).create("carol", email="carol@example.com", password=PASSWORD)
    with api(stack) as client:
        assert sign_in(client, "carol@example.com").json()["userId"] == "carol"


def test_a_session_user_reads_what_a_jwt_user_reads(stack: StackHandle) -> None:
    with api(stack) as client:
        user_id = sign_up(client)
        credential = credential_of(sign_in(client))
    tables = TablesDB(stack.client())
    tables.create_row(DB, "notes", "mine", {"title": "mine"}, permissions=[f'read("user:{user_id}")'])
    tables.create_row(DB, "notes", "theirs", {"title": "theirs"}, permissions=['read("user:someone")'])
    tables.create_row(DB, "board", "b1", {"name": "everyone"})
    session = Client().set_endpoint(stack.endpoint).set_project(stack.project_id).set_session(credential)
    token = httpx.post(
        f"{stack.endpoint}/account/jwts", headers={"x-appwrite-project": "ecotrace", "x-appwrite-session": credential}
    ).json()["jwt"]
    bearer = Client().set_endpoint(stack.endpoint).set_project(stack.project_id).set_jwt(token)
    for table in ("notes", "board"):
        seen = [[r.id for r in TablesDB(c).list_rows(DB, table).rows] for c in (session, bearer)]
        assert seen[0] == seen[1]
        assert seen[0] == (["mine"] if table == "notes" else ["b1"])


def test_an_expired_session_is_a_guest(tmp_path: Path) -> None:
    root = write_root(tmp_path / "root")
    env = {"ECOTRACE_SESSION_DURATION_S": "5"}  # long enough for a loaded machine to read the account once
    with run_stack(root, db_path=tmp_path / "db.sqlite3", env=env) as stack, api(stack) as client:
        sign_up(client)
        expire = datetime.fromisoformat(sign_in(client).json()["expire"])
        assert client.get("/account").status_code == 200
        time.sleep(max(0.0, (expire - datetime.now(UTC)).total_seconds()) + 0.3)
        response = client.get("/account")
        assert (response.status_code, response.json()["type"]) == (401, "general_unauthorized_scope")
        assert sign_in(client).status_code == 201  # an expired session does not block a new one
